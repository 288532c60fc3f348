/** Interleaved RGB (HWC), values in [0, 1]: the layout the diffusion pipeline uses for images. */
export interface TrainingImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export interface TrainingExample {
  /** Path inside the archive or folder, e.g. "concept/01.png". */
  readonly name: string;
  readonly image: TrainingImage;
  readonly caption: string;
}
