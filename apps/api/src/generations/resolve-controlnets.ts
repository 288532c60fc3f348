import { PREPROCESSOR_MODEL_FOLDER, type ControlNetUnit, type GenerationRequest } from '@atelier/contracts';
import type { AnnouncedControlNet, ModelSummary } from '@atelier/queue';
import type { FieldProblem } from '../common/api-error.js';

/** What ControlNet resolution reads besides the body (see ControlNetLookup). */
export interface ControlNetContext {
  readonly controlnets: ReadonlyMap<string, AnnouncedControlNet>;
  readonly preprocessorModels: ReadonlySet<string>;
}

function familyProblem(net: AnnouncedControlNet, model: ModelSummary): string | undefined {
  const modelBase = model.family === 'sdxl' || model.family === 'sdxl-refiner' ? 'sdxl' : 'sd';
  const describe = (base: string): string => (base === 'sdxl' ? 'SDXL' : 'SD 1.x/2.x');
  if (net.base !== modelBase) return `ControlNet "${net.name}" is for ${describe(net.base)}; model ${model.id} is ${model.family}`;
  if (net.cross_attention_dim !== null && model.cross_attention_dim !== null && net.cross_attention_dim !== model.cross_attention_dim) {
    return `ControlNet "${net.name}" attends to ${net.cross_attention_dim}-wide text features, model ${model.id} to ${model.cross_attention_dim} (another base: SD 1.x is 768, SD 2.x 1024)`;
  }
  return undefined;
}

/**
 * The request's ControlNets checked against the model and what the farm has: each net exists on
 * some worker class and was trained for the model's base family, the model has a
 * residual-accepting UNet, and ONNX preprocessors have their model somewhere. Problems name
 * `controlnets.<i>.<field>` under `field`'s prefix. Images are checked apart (InlineImageValidator).
 */
export function resolveControlNets(body: GenerationRequest, model: ModelSummary, context: ControlNetContext, field: (name: string) => string, problems: FieldProblem[]): ControlNetUnit[] | undefined {
  const units = body.controlnets;
  if (!units || units.length === 0) {
    if (body.guess_mode) problems.push({ field: field('guess_mode'), message: 'requires controlnets' });
    return undefined;
  }
  if (!model.controlnet) {
    problems.push({ field: field('controlnets'), message: `model ${model.id} has no residual-accepting UNet (controlnet/ or cnet/ in its folder): ControlNets cannot steer it` });
  }
  units.forEach((unit, index) => {
    const net = context.controlnets.get(unit.model);
    if (!net) {
      const known = [...context.controlnets.keys()];
      problems.push({ field: field(`controlnets.${index}.model`), message: `unknown ControlNet "${unit.model}"; available: ${known.length > 0 ? known.join(', ') : 'none'}` });
    } else {
      const problem = familyProblem(net, model);
      if (problem) problems.push({ field: field(`controlnets.${index}.model`), message: problem });
    }
    const folder = PREPROCESSOR_MODEL_FOLDER[unit.preprocessor];
    if (folder && !context.preprocessorModels.has(folder)) {
      problems.push({ field: field(`controlnets.${index}.preprocessor`), message: `preprocessor "${unit.preprocessor}" needs its ONNX model (MODELS_DIR/preprocessors/${folder}/), which no worker class has` });
    }
  });
  return units.map((unit) => ({ ...unit }));
}
