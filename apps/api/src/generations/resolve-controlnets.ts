import { PREPROCESSOR_MODEL_FOLDER, type ControlNetUnit, type GenerationRequest } from '@atelier/contracts';
import type { ModelSummary, OnnxRequirement } from '@atelier/queue';
import type { OnnxModelKind } from '@atelier/registry';
import type { FieldProblem } from '../common/api-error.js';
import { familyProblem } from './onnx-family-check.js';
import type { AvailableOnnxModel } from './onnx-model-availability.js';

/** What resolution knows of the registry's ONNX models, as the caller's tenant may use them (from `onnx_models` announcements). */
export interface OnnxModelContext {
  /** findAvailableOnnxModel over the catalog's worker classes, for this tenant. */
  readonly onnxModel: (kind: OnnxModelKind, name: string) => AvailableOnnxModel | undefined;
  /** Names of every model of `kind` this tenant can use (for error messages). */
  readonly onnxNames: (kind: OnnxModelKind) => readonly string[];
}

/** Finds `kind`/`name` or reports it missing at `at`; what it finds joins the job's routing requirements. */
export function requireOnnxModel(context: OnnxModelContext, kind: OnnxModelKind, name: string, at: string, what: string, problems: FieldProblem[], required: OnnxRequirement[]): AvailableOnnxModel | undefined {
  const found = context.onnxModel(kind, name);
  if (!found) {
    const known = context.onnxNames(kind);
    problems.push({ field: at, message: `unknown ${what} "${name}"; available: ${known.length > 0 ? known.join(', ') : 'none'}` });
    return undefined;
  }
  if (!required.some((each) => each.kind === kind && each.name === found.announcedName)) required.push({ kind, name: found.announcedName });
  return found;
}

/**
 * The request's ControlNets checked against the model and what the farm has: each net is a
 * registry (or MODELS_DIR) ControlNet this tenant can use on some worker class, trained for the
 * model's base family, the model has a residual-accepting UNet, and ONNX preprocessors have their
 * model (kind `preprocessor`, named `depth`/`softedge`/`openpose`). What they need is added to
 * `required` (the job's routing requirement). Problems name `controlnets.<i>.<field>` under
 * `field`'s prefix. Images are checked apart (InlineImageValidator).
 */
export function resolveControlNets(body: GenerationRequest, model: ModelSummary, context: OnnxModelContext, field: (name: string) => string, problems: FieldProblem[], required: OnnxRequirement[]): ControlNetUnit[] | undefined {
  const units = body.controlnets;
  if (!units || units.length === 0) {
    if (body.guess_mode) problems.push({ field: field('guess_mode'), message: 'requires controlnets' });
    return undefined;
  }
  if (!model.controlnet) {
    problems.push({ field: field('controlnets'), message: `model ${model.id} has no residual-accepting UNet (controlnet/ or cnet/ in its folder): ControlNets cannot steer it` });
  }
  units.forEach((unit, index) => {
    const at = field(`controlnets.${index}.model`);
    const net = requireOnnxModel(context, 'controlnet', unit.model, at, 'ControlNet', problems, required);
    const problem = net ? familyProblem('ControlNet', net, model) : undefined;
    if (problem) problems.push({ field: at, message: problem });
    const folder = PREPROCESSOR_MODEL_FOLDER[unit.preprocessor];
    if (folder && !context.onnxModel('preprocessor', folder)) {
      problems.push({ field: field(`controlnets.${index}.preprocessor`), message: `preprocessor "${unit.preprocessor}" needs its ONNX model (a preprocessor named ${folder}: registry or MODELS_DIR/preprocessors/${folder}/), which no worker class has` });
    } else if (folder) requireOnnxModel(context, 'preprocessor', folder, field(`controlnets.${index}.preprocessor`), 'preprocessor model', problems, required);
  });
  return units.map((unit) => ({ ...unit }));
}
