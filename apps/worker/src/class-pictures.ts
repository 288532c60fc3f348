// DreamBooth's prior-preservation pictures, drawn by the farm: the base model renders the class
// prompt through the same pipeline generations use (seeds seed … seed + n − 1), so the class keeps
// looking the way this model drew it before fine-tuning.
import type { LoadedModel, StableDiffusionPipeline } from '@atelier/diffusion';
import type { TrainingExample } from '@atelier/training';

/** Enough steps that the exact demo denoiser (and a real model) lands on its picture. */
const CLASS_PICTURE_STEPS = 20;

export type ClassPictureDrawer = (model: LoadedModel, request: { readonly prompt: string; readonly count: number; readonly size: number; readonly seed: number }) => Promise<TrainingExample[]>;

export function pipelineClassPictures(pipeline: StableDiffusionPipeline): ClassPictureDrawer {
  return async (model, { prompt, count, size, seed }) => {
    const pictures: TrainingExample[] = [];
    for (let k = 0; k < count; k++) {
      const { images } = await pipeline.generate(model, { prompt, negativePrompt: '', steps: CLASS_PICTURE_STEPS, guidanceScale: 1, width: size, height: size, seeds: [(seed + k) % 2 ** 32] });
      const [image] = images;
      pictures.push({ name: `class/${String(k).padStart(4, '0')}.png`, image: { width: image.width, height: image.height, data: image.pixels }, caption: prompt });
    }
    return pictures;
  };
}
