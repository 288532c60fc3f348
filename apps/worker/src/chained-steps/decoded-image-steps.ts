import { ErrorCode, type ChainedFaceRestore, type ChainedUpscale } from '@atelier/contracts';
import { GenerationCanceledError } from '@atelier/diffusion';
import { FaceDetector, FaceRestoreError, FaceRestorer, restoreFaces } from '@atelier/face-restoration';
import type { LocatedOnnxModel, OnnxModelKind } from '@atelier/registry';
import { upscale, UpscaleError, UpscalerModel, type PixelImage } from '@atelier/upscaling';
import sharp from 'sharp';
import { ChainedStepError } from './chained-step-error.js';

/** Finds a registry ONNX model for the job's tenant (ModelService.locateOnnx). */
export type LocateOnnx = (kind: OnnxModelKind, name: string) => Promise<LocatedOnnxModel | undefined>;

export interface DecodedImageSteps {
  readonly faceRestore?: ChainedFaceRestore;
  readonly upscale?: ChainedUpscale;
}

export interface StepProgress {
  /** Called after each tile or face: the fraction of the current step done. */
  readonly onFraction?: (fraction: number) => void;
  readonly signal?: AbortSignal;
}

async function modelFile(locate: LocateOnnx, kind: OnnxModelKind, name: string): Promise<string> {
  const located = await locate(kind, name);
  const file = located?.files.model;
  if (!file) throw new ChainedStepError(ErrorCode.UnknownModel, `${kind} "${name}" is not on this worker`);
  return file;
}

/** The libraries' cancel codes become the pipeline's cancel (the handler tells shutdown, deadline and user cancel apart). */
export function asCancel(error: unknown, signal: AbortSignal | undefined): unknown {
  const canceled = (error instanceof UpscaleError && error.code === 'upscale_canceled') || (error instanceof FaceRestoreError && error.code === 'face_restore_canceled');
  if (canceled) return new GenerationCanceledError(signal?.reason);
  if (error instanceof UpscaleError || error instanceof FaceRestoreError) {
    const permanent = error.code.endsWith('_missing') || error.code.endsWith('_invalid');
    return permanent ? new ChainedStepError(ErrorCode.ModelLoadFailed, error.message) : error;
  }
  return error;
}

/**
 * The models of a job's decoded-image steps, opened once per job and released after it: the face
 * detector and restorer, the upscaler. Steps run in A1111's order: faces first, then the upscale
 * (a restorer works at its fixed 512² face size, so restoring after upscaling gains nothing).
 */
export class DecodedImagePipeline {
  private constructor(
    private readonly steps: DecodedImageSteps,
    private readonly faces: { detector: FaceDetector; restorer: FaceRestorer } | undefined,
    private readonly upscaler: UpscalerModel | undefined,
    private readonly maxUpscalePixels: number,
  ) {}

  static async open(steps: DecodedImageSteps, locate: LocateOnnx, maxUpscalePixels: number): Promise<DecodedImagePipeline> {
    const opened: Array<{ release(): Promise<void> }> = [];
    try {
      let faces: { detector: FaceDetector; restorer: FaceRestorer } | undefined;
      if (steps.faceRestore) {
        const detector = await FaceDetector.open(await modelFile(locate, 'face_detector', steps.faceRestore.detector));
        opened.push(detector);
        const restorer = await FaceRestorer.open(await modelFile(locate, 'face_restorer', steps.faceRestore.model));
        opened.push(restorer);
        faces = { detector, restorer };
      }
      const upscaler = steps.upscale ? await UpscalerModel.open(await modelFile(locate, 'upscaler', steps.upscale.model)) : undefined;
      return new DecodedImagePipeline(steps, faces, upscaler, maxUpscalePixels);
    } catch (error) {
      await Promise.all(opened.map((model) => model.release()));
      throw asCancel(error, undefined);
    }
  }

  /** How many steps each image goes through (for progress). */
  get stepCount(): number {
    return (this.faces ? 1 : 0) + (this.upscaler ? 1 : 0);
  }

  /** The output kind of the processed image: `upscaled` when an upscale ran, else `restored`. */
  get outputKind(): 'upscaled' | 'restored' {
    return this.upscaler ? 'upscaled' : 'restored';
  }

  /** Runs the steps on one decoded image; `onStepDone` after each whole step. */
  async run(image: PixelImage, progress: StepProgress & { onStepDone?: () => void }): Promise<PixelImage> {
    let current = image;
    try {
      if (this.faces && this.steps.faceRestore) {
        const { fidelity, visibility } = this.steps.faceRestore;
        const restored = await restoreFaces(current, this.faces, { fidelity, visibility, signal: progress.signal, onProgress: ({ done, total }) => progress.onFraction?.(done / total) });
        current = restored.image;
        progress.onStepDone?.();
      }
      if (this.upscaler && this.steps.upscale) current = await this.upscaleOne(current, this.upscaler, this.steps.upscale, progress);
    } catch (error) {
      throw asCancel(error, progress.signal);
    }
    return current;
  }

  private async upscaleOne(image: PixelImage, model: UpscalerModel, step: ChainedUpscale, progress: StepProgress & { onStepDone?: () => void }): Promise<PixelImage> {
    const scale = step.scale ?? model.scale;
    const width = Math.round(image.width * scale);
    const height = Math.round(image.height * scale);
    const native = { width: image.width * model.scale, height: image.height * model.scale };
    // The model's native output counts too: it is held in memory before any resize.
    if (Math.max(width * height, native.width * native.height) > this.maxUpscalePixels) {
      throw new ChainedStepError(ErrorCode.ValidationFailed, `upscale.scale: the upscaled image (${Math.max(width, native.width)}×${Math.max(height, native.height)}) exceeds MAX_UPSCALE_PIXELS (${this.maxUpscalePixels})`);
    }
    const upscaled = await upscale(image, model, { signal: progress.signal, onProgress: ({ done, total }) => progress.onFraction?.(done / total) });
    progress.onStepDone?.();
    if (upscaled.width === width && upscaled.height === height) return upscaled;
    // A scale other than the model's: its output resized (A1111 resizes with Lanczos the same way).
    const resized = await sharp(upscaled.data, { raw: { width: upscaled.width, height: upscaled.height, channels: upscaled.channels } })
      .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width, height, channels: upscaled.channels, data: new Uint8Array(resized.data.buffer, resized.data.byteOffset, resized.data.length) };
  }

  async release(): Promise<void> {
    await Promise.all([this.faces?.detector.release(), this.faces?.restorer.release(), this.upscaler?.release()]);
  }
}
