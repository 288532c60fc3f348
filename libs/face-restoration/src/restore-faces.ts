import { invertAffine, type Affine } from './alignment/affine.js';
import { ffhqTemplate } from './alignment/ffhq-template.js';
import { estimateSimilarity } from './alignment/similarity.js';
import { warpBilinear } from './alignment/warp.js';
import type { DetectedFace } from './detection/detected-face.js';
import type { FaceDetector } from './detection/face-detector.js';
import { FaceRestoreError } from './errors.js';
import { pasteFace } from './paste/paste-face.js';
import { checkPixelImage, type PixelImage } from './pixel-image.js';
import { parseRestoreFacesOptions, type RestoreFacesSettingsInput } from './restore-options.js';
import type { FaceRestorer } from './restoration/face-restorer.js';

/** facexlib's warp border (135, 133, 132) in BGR, here in RGB. */
export const ALIGN_BORDER = [132, 133, 135] as const;

export interface FaceModels {
  readonly detector: FaceDetector;
  readonly restorer: FaceRestorer;
}

export interface RestoreFacesOptions extends RestoreFacesSettingsInput {
  /** Checked before every face; an aborted signal ends the call with `face_restore_canceled`. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { readonly done: number; readonly total: number }) => void;
}

export interface RestoredFaces {
  /** A new image (the input is not modified), same size and channels. */
  readonly image: PixelImage;
  /** The faces restored, highest score first, in image pixels. */
  readonly faces: readonly DetectedFace[];
}

/** The alignment of a face: image → aligned square, by the five landmarks onto the FFHQ template. */
export function alignmentOf(face: DetectedFace, size: number): Affine {
  return estimateSimilarity(face.landmarks, ffhqTemplate(size));
}

/** The aligned face as the restorer's input: NCHW RGB in [−1, 1] (facexlib's warp, then /255, −0.5, /0.5). */
export function alignedInput(image: PixelImage, imageToFace: Affine, size: number): Float32Array {
  const warped = warpBilinear(image, invertAffine(imageToFace), size, size, [...ALIGN_BORDER, 255]);
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = (warped[i * image.channels + c] / 255 - 0.5) / 0.5;
  return out;
}

/** The restorer's NCHW [−1, 1] output as HWC 0–255, clamped and rounded as facexlib's tensor2img does. */
export function restoredPixels(output: Float32Array, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(Math.min(1, Math.max(0, (output[c * plane + i] + 1) / 2)) * 255);
  }
  return out;
}

/**
 * Detects faces, aligns each to the FFHQ template, restores it and pastes it back with a feathered
 * mask (GFPGAN/CodeFormer's FaceRestoreHelper pipeline at upscale factor 1).
 */
export async function restoreFaces(image: PixelImage, models: FaceModels, options: RestoreFacesOptions = {}): Promise<RestoredFaces> {
  checkPixelImage(image);
  const { signal, onProgress, ...settingsInput } = options;
  const settings = parseRestoreFacesOptions(settingsInput);
  const detected = await models.detector.detect(image, settings);
  const faces = detected.slice(0, settings.maxFaces);
  const out: PixelImage = { ...image, data: image.data.slice() };
  const size = models.restorer.size;
  for (let i = 0; i < faces.length; i++) {
    if (signal?.aborted) throw new FaceRestoreError('face_restore_canceled', `face restoration canceled after ${i} of ${faces.length} faces`);
    const imageToFace = alignmentOf(faces[i], size);
    const restored = await models.restorer.restore(alignedInput(image, imageToFace, size), settings.fidelity);
    pasteFace(out, restoredPixels(restored, size), size, imageToFace, invertAffine(imageToFace), settings.visibility);
    onProgress?.({ done: i + 1, total: faces.length });
  }
  return { image: out, faces };
}
