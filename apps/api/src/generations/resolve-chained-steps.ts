import { HIRES_LATENT_UPSCALERS, type GenerationRequest, type ResolvedGeneration } from '@atelier/contracts';
import type { OnnxModelKind } from '@atelier/registry';
import type { FieldProblem } from '../common/api-error.js';
import type { AvailableOnnxModel } from './onnx-model-availability.js';

/** What the chained steps' resolution reads besides the body (plain data: testable without a farm). */
export interface ChainedStepContext {
  /** The ONNX models of a kind the caller's tenant can use on some known worker class, by name. */
  readonly onnxModels: (kind: OnnxModelKind) => ReadonlyMap<string, AvailableOnnxModel>;
  readonly maxPixels: number;
  readonly maxUpscalePixels: number;
}

type ChainedFields = Pick<ResolvedGeneration, 'upscale' | 'face_restore' | 'hires' | 'mask_prompt' | 'onnx_models'>;

/** Multiple of 8 nearest to `value` (A1111 rounds the hires size the same way), at least 64. */
function roundTo8(value: number): number {
  return Math.max(64, Math.round(value / 8) * 8);
}

/**
 * The request's chained steps checked against what the tenant can use and the size limits, with
 * every default fixed: a named model must be available on some worker class (`upscale.model`…),
 * an unnamed face or SAM model is the first announced one by name. `field` prefixes names
 * (`requests.3.`); `generationSize` is the base image size. The models a job runs are listed by
 * the name workers announce them under, so routing sends it to a class that has them all.
 */
export function resolveChainedSteps(
  body: GenerationRequest,
  generationSize: { readonly width: number; readonly height: number; readonly steps: number },
  context: ChainedStepContext,
  field: (name: string) => string,
  problems: FieldProblem[],
): ChainedFields {
  const needed: AvailableOnnxModel[] = [];
  const pick = (kind: OnnxModelKind, name: string | undefined, at: string): string | undefined => {
    const available = context.onnxModels(kind);
    const found = name === undefined ? [...available.values()].sort((a, b) => a.name.localeCompare(b.name))[0] : available.get(name);
    if (!found) {
      const known = [...available.keys()];
      problems.push({ field: field(at), message: `${name === undefined ? `no ${kind} model` : `${kind} "${name}" is not available`} on any worker class; available: ${known.length > 0 ? known.join(', ') : 'none'}` });
      return undefined;
    }
    needed.push(found);
    return found.name;
  };
  let size = { width: generationSize.width, height: generationSize.height };
  const fields: { -readonly [K in keyof ChainedFields]: ChainedFields[K] } = {};

  if (body.hires) {
    const hires = body.hires;
    const width = roundTo8(hires.width ?? (hires.height !== undefined ? (hires.height * size.width) / size.height : size.width * hires.scale));
    const height = roundTo8(hires.height ?? (hires.width !== undefined ? (hires.width * size.height) / size.width : size.height * hires.scale));
    if (width * height > context.maxPixels) problems.push({ field: field('hires.scale'), message: `the second pass (${width}×${height}) must not exceed ${context.maxPixels} pixels` });
    const latent = (HIRES_LATENT_UPSCALERS as readonly string[]).includes(hires.upscaler);
    const upscaler = latent ? hires.upscaler : pick('upscaler', hires.upscaler, 'hires.upscaler');
    if (upscaler !== undefined) fields.hires = { width, height, upscaler, strength: hires.strength, steps: hires.steps > 0 ? hires.steps : generationSize.steps };
    size = { width, height };
  }
  if (body.mask_prompt) {
    const model = pick('segmenter', body.mask_prompt.model, 'mask_prompt.model');
    const points = body.mask_prompt.points.map((point) => ({ x: point.x, y: point.y, label: point.label === 'negative' || point.label === 0 ? ('negative' as const) : ('positive' as const) }));
    if (model !== undefined) fields.mask_prompt = { points, boxes: body.mask_prompt.boxes, model };
  }
  if (body.face_restore) {
    const model = pick('face_restorer', body.face_restore.model, 'face_restore.model');
    const detector = pick('face_detector', body.face_restore.detector, 'face_restore.detector');
    if (model !== undefined && detector !== undefined) fields.face_restore = { model, detector, fidelity: body.face_restore.fidelity, visibility: body.face_restore.visibility };
  }
  if (body.upscale) {
    const model = pick('upscaler', body.upscale.model, 'upscale.model');
    const scale = body.upscale.scale;
    // Without a scale the model's own applies, known only on the worker (which checks the limit again).
    if (scale !== undefined && Math.round(size.width * scale) * Math.round(size.height * scale) > context.maxUpscalePixels) {
      problems.push({ field: field('upscale.scale'), message: `the upscaled image (${Math.round(size.width * scale)}×${Math.round(size.height * scale)}) must not exceed MAX_UPSCALE_PIXELS (${context.maxUpscalePixels})` });
    }
    if (model !== undefined) fields.upscale = { model, ...(scale !== undefined ? { scale } : {}) };
  }
  if (needed.length > 0) fields.onnx_models = [...new Map(needed.map((model) => [`${model.kind}:${model.announcedName}`, { kind: model.kind, name: model.announcedName }])).values()];
  return fields;
}
