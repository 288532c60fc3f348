import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { appendExactDenoiser } from '../denoiser-graph.js';
import { DEMO_SCALING_FACTOR } from '../noise-schedule.js';
import { appendLatentFromSignedRgb, appendSignedTargetRgb } from '../unet-graph.js';
import { LCM_TIME_COND_DIM } from './guidance-embedding.js';

/**
 * The guidance scale g = 1 + w encoded in timestep_cond ([batch, dim]): its lowest frequency is
 * exactly 1e-4, so entries dim/2 − 1 and dim − 1 hold sin(0.1 w) and cos(0.1 w), and w = 10·atan2
 * (correct for −15.7 < w < 47, i.e. every guidance scale anyone uses). [batch, 1, 1, 1].
 */
function appendGuidanceScale(ops: Ops, timestepCond: string, dim: number): string {
  const sin = ops.slice(timestepCond, [dim / 2 - 1], [dim / 2], [1]);
  const cos = ops.slice(timestepCond, [dim - 1], [dim], [1]);
  const principal = ops.graph.node('Atan', [ops.div(sin, cos)])[0];
  const angle = ops.add(principal, ops.where(ops.less(cos, ops.scalar(0)), ops.scalar(Math.PI), ops.scalar(0)));
  return ops.reshape(ops.add(ops.scalar(1), ops.mul(angle, ops.scalar(10))), [-1, 1, 1, 1]);
}

/**
 * An LCM UNet (SD 1.5 layout plus timestep_cond): an exact epsilon denoiser of the guided target
 * g · x0(prompt), which is what classifier-free guidance with scale g gives against the neutral
 * (empty-prompt) picture, so an LCM pipeline (no CFG batch) lands on
 * renderDemoTarget(prompt, w, h, { guidanceScale: g }). A missing or garbage embedding (zeros give
 * atan(0/0)) makes the output NaN.
 */
export function buildLcmUnetGraph(hiddenSize: number): GraphBuilder {
  const g = new GraphBuilder({ name: 'demo_lcm_unet', docString: 'Atelier demo LCM UNet: exact denoiser for the guided prompt-described picture.' });
  const ops = new Ops(g);
  const sample = g.input('sample', 'float32', ['batch_size', 4, 'height', 'width']);
  const timestep = g.input('timestep', 'float32', []);
  const hidden = g.input('encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', hiddenSize]);
  const timestepCond = g.input('timestep_cond', 'float32', ['batch_size', LCM_TIME_COND_DIM]);

  const summary = ops.reduceMean(hidden, [1], false);
  const conditional = appendLatentFromSignedRgb(ops, sample, appendSignedTargetRgb(ops, sample, summary), DEMO_SCALING_FACTOR);
  const x0 = ops.mul(conditional, appendGuidanceScale(ops, timestepCond, LCM_TIME_COND_DIM));
  const out = appendExactDenoiser(ops, { sample, timestep, x0 }, 'epsilon');
  g.output('out_sample', 'float32', ['batch_size', 4, 'height', 'width'], out);
  return g;
}
