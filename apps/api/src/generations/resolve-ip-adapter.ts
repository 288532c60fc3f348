import type { GenerationRequest, IpAdapterRequest } from '@atelier/contracts';
import type { ModelSummary, OnnxRequirement } from '@atelier/queue';
import type { FieldProblem } from '../common/api-error.js';
import { familyProblem } from './onnx-family-check.js';
import { requireOnnxModel, type OnnxModelContext } from './resolve-controlnets.js';

/**
 * The request's image prompt checked against the model and what the farm has: the adapter is a
 * registry (or MODELS_DIR/ip-adapters) IP-Adapter this tenant can use, trained for the model's
 * family, and the model has the UNet export it needs (`ip_unet/`, or `ip_controlnet/` together
 * with ControlNets; none at scale 0, which runs the plain UNet). Problems name
 * `ip_adapter.<field>`; images are checked apart (InlineImageValidator).
 */
export function resolveIpAdapter(body: GenerationRequest, model: ModelSummary, context: OnnxModelContext, field: (name: string) => string, problems: FieldProblem[], required: OnnxRequirement[]): IpAdapterRequest | undefined {
  const adapter = body.ip_adapter;
  if (!adapter) return undefined;
  const at = field('ip_adapter.model');
  const found = requireOnnxModel(context, 'ip_adapter', adapter.model, at, 'IP-Adapter', problems, required);
  const problem = found ? familyProblem('IP-Adapter', found, model) : undefined;
  if (problem) problems.push({ field: at, message: problem });
  const withControl = (body.controlnets ?? []).length > 0;
  if (adapter.scale !== 0 && !(withControl ? model.ip_controlnet : model.ip_unet)) {
    const wanted = withControl ? 'ip_controlnet/ (image tokens and ControlNet residuals)' : 'ip_unet/';
    problems.push({ field: at, message: `model ${model.id} has no UNet exported with image-prompt attention (${wanted} in its folder): IP-Adapters cannot steer it` });
  }
  return { model: adapter.model, images: [...adapter.images], scale: adapter.scale };
}
