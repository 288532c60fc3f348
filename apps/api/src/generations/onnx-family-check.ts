import type { ModelSummary } from '@atelier/queue';
import type { AvailableOnnxModel } from './onnx-model-availability.js';

/** The text width each registry family attends to, when the model's files do not say. */
const FAMILY_WIDTH: Readonly<Record<string, number>> = { sd1: 768, sd2: 1024, sdxl: 2048 };

const describe = (base: 'sd' | 'sdxl'): string => (base === 'sdxl' ? 'SDXL' : 'SD 1.x/2.x');

/**
 * Why a ControlNet or IP-Adapter (`what`) cannot steer `model`: trained for SDXL and the model is
 * SD 1.x/2.x or the other way round, or its text-feature width differs from the UNet's (SD 1.x
 * 768, SD 2.x 1024). Undefined when it fits or the worker could not tell its family.
 */
export function familyProblem(what: string, found: AvailableOnnxModel, model: ModelSummary): string | undefined {
  if (found.baseFamily === undefined) return undefined;
  const base = found.baseFamily === 'sdxl' ? 'sdxl' : 'sd';
  const modelBase = model.family === 'sdxl' || model.family === 'sdxl-refiner' ? 'sdxl' : 'sd';
  if (base !== modelBase) return `${what} "${found.name}" is for ${describe(base)}; model ${model.id} is ${model.family}`;
  const width = found.crossAttentionDim ?? FAMILY_WIDTH[found.baseFamily];
  if (width !== undefined && model.cross_attention_dim !== null && width !== model.cross_attention_dim) {
    return `${what} "${found.name}" works with ${width}-wide text features, model ${model.id} with ${model.cross_attention_dim} (another base: SD 1.x is 768, SD 2.x 1024)`;
  }
  return undefined;
}
