import { ImageTaskKind, upscaledSize, type ResolvedImageSource, type ResolvedUpscale, type UpscaleRequest } from '@atelier/contracts';
import { ApiError } from '../common/api-error.js';
import { checkWebhook, chooseOnnxModel, routeImageTask, type ImageTaskContext } from './image-task-routing.js';
import { resolveFaceStep } from './resolve-face-restore.js';

export interface UpscaleContext extends ImageTaskContext {
  /** MAX_UPSCALE_PIXELS: the result's width × height at most. */
  readonly maxUpscalePixels: number;
}

export interface ResolvedUpscaleSubmission {
  readonly request: ResolvedUpscale;
  readonly queue: string;
}

/**
 * A validated POST /v1/upscales body and its checked source → the task and its queue: the
 * upscaler (named, else the only/first one the tenant can use), the scale (at most the model's;
 * default the model's), the result's pixels against MAX_UPSCALE_PIXELS when the source size is
 * known (the worker checks again after decoding), and the optional face restoration step, routed
 * to a class whose workers have every model it runs.
 */
export function resolveUpscale(body: UpscaleRequest, checked: { source: ResolvedImageSource; size: { width: number; height: number } | undefined }, context: UpscaleContext): ResolvedUpscaleSubmission {
  checkWebhook(body.webhook, context);
  const model = chooseOnnxModel(context, 'upscaler', body.model, 'model', { what: 'upscaler model' });
  const modelScale = model.scale;
  if (modelScale === undefined) throw ApiError.field('model', `the workers did not announce the scale of upscaler "${model.name}"`);
  const scale = body.scale ?? modelScale;
  if (scale > modelScale) throw ApiError.field('scale', `${scale} is more than upscaler "${model.name}" upscales by (${modelScale})`);
  if (checked.size) {
    const out = upscaledSize(checked.size, scale);
    if (out.width * out.height > context.maxUpscalePixels) {
      throw ApiError.field('scale', `the result would be ${out.width}×${out.height} (${out.width * out.height} pixels); the limit is ${context.maxUpscalePixels} (MAX_UPSCALE_PIXELS)`);
    }
  }
  let workerClasses = [...model.workerClasses];
  let faceRestore: ResolvedUpscale['face_restore'] = null;
  if (body.face_restore) {
    const face = resolveFaceStep(body.face_restore, context, 'face_restore.');
    faceRestore = face.step;
    workerClasses = workerClasses.filter((name) => face.workerClasses.includes(name));
  }
  return {
    request: {
      v: 1,
      kind: ImageTaskKind.Upscale,
      source: checked.source,
      model: model.name,
      model_scale: modelScale,
      scale,
      tile_size: body.tile_size,
      tile_overlap: body.tile_overlap,
      max_output_pixels: context.maxUpscalePixels,
      output_format: body.output_format,
      face_restore: faceRestore,
      webhook: body.webhook,
    },
    queue: routeImageTask(context, body.face_restore ? 'face_restore' : 'model', workerClasses),
  };
}
