import type { RgbImage } from '@atelier/diffusion';
import { canny } from './canny/canny.js';
import { toPixelImage, type ControlSource } from './control-image.js';
import { toGenerationSize, toImageResolution, toOutputSize } from './image/annotator-output.js';
import { hwc3, toRgbImage, type PixelImage } from './image/pixel-image.js';
import { resizeForAnnotator } from './image/resize-image.js';
import { parsePreprocessKind, parsePreprocessOptions, type PreprocessOptions, type PreprocessorKind } from './preprocess-options.js';
import type { PreprocessorModels } from './preprocessor-models.js';
import { scribbleFromEdges } from './softedge/edge-maps.js';

export interface ControlMap {
  /** 8-bit RGB at the generation size (what is stored as the `control` output). */
  readonly image: PixelImage;
  /** The same map as the pipeline's float RGB (png / 255), ready for `controlnet_cond`. */
  readonly rgb: RgbImage;
  readonly metadata: ControlMapMetadata;
}

export interface ControlMapMetadata {
  readonly preprocessor: PreprocessorKind;
  readonly width: number;
  readonly height: number;
  /** The size the detector ran at (resize_image(input, detect_resolution)); absent for `none`. */
  readonly detectWidth?: number;
  readonly detectHeight?: number;
  readonly options: PreprocessOptions;
  /** openpose: people found, how many of their 18 body keypoints (and 68 face landmarks) were drawn. */
  readonly people?: readonly { readonly keypoints: number; readonly faceLandmarks?: number }[];
  readonly family?: string;
}

/**
 * One entry for every preprocessor: `image` (any size) → the control map at `options.width` x
 * `options.height`, as controlnet_aux's detectors followed by diffusers' control image processor
 * produce it. Throws PreprocessError (unknown_preprocessor, missing_preprocessor_model,
 * invalid_preprocessor_model, invalid_control_image, invalid_preprocessor_option) naming the field.
 */
export async function preprocess(kind: string, image: ControlSource, options: unknown, models: PreprocessorModels): Promise<ControlMap> {
  const preprocessor = parsePreprocessKind(kind);
  const parsed = parsePreprocessOptions(options);
  const source = hwc3(toPixelImage(image));
  const size = { width: parsed.width, height: parsed.height, imageResolution: parsed.image_resolution };
  const finish = (map: PixelImage, extra: Partial<ControlMapMetadata> = {}, detected?: PixelImage): ControlMap => ({
    image: map,
    rgb: toRgbImage(map),
    metadata: { preprocessor, width: map.width, height: map.height, detectWidth: detected?.width, detectHeight: detected?.height, options: parsed, ...extra },
  });

  if (preprocessor === 'none') return finish(toGenerationSize(source, size));
  const detected = resizeForAnnotator(source, parsed.detect_resolution);
  switch (preprocessor) {
    case 'canny': {
      const edges = canny(detected, { lowThreshold: parsed.low_threshold, highThreshold: parsed.high_threshold });
      return finish(toOutputSize(edges, detected, size), {}, detected);
    }
    case 'depth': {
      const estimator = await models.depth();
      return finish(toOutputSize(await estimator.estimate(detected), detected, size), { family: estimator.family }, detected);
    }
    case 'softedge':
    case 'scribble': {
      const detector = await models.softedge();
      const edges = await detector.detect(detected, { safe: parsed.safe });
      const atResolution = toImageResolution(edges, detected, size);
      const map = preprocessor === 'scribble' ? scribbleFromEdges(atResolution) : atResolution;
      return finish(toGenerationSize(map, size), { family: detector.family }, detected);
    }
    case 'openpose': {
      const estimator = await models.openpose();
      const { map, people, faces } = await estimator.draw(detected, parsed.include_face);
      const counted = people.map((body, i) => ({ keypoints: countVisible(body), ...(parsed.include_face ? { faceLandmarks: countVisible(faces[i]) } : {}) }));
      return finish(toOutputSize(map, detected, size), { people: counted }, detected);
    }
  }
}

function countVisible(points: readonly unknown[]): number {
  return points.filter((point) => point !== null).length;
}

