import { GraphBuilder, attr, int64Literal } from '@atelier/onnx-graph';

// ONNX TensorProto element types used by Cast.
const FLOAT = 1;
const FLOAT16 = 10;

/**
 * Classifier-free guidance plus one Euler step as an ONNX graph, so it runs on the GPU beside the
 * UNet and the latents never leave it:
 *   guided = uncond + g·(cond − uncond);  next = latents + dt·guided;  input = [next·c_in, next·c_in] (fp16)
 * `coeffs` = [g, dt, c_in of the next step] (three floats uploaded per step).
 */
export function eulerStepGraph(latentHeight: number, latentWidth: number): Uint8Array {
  const graph = new GraphBuilder({ name: 'euler_cfg_step' });
  const prediction = graph.input('noise_pred', 'float16', [2, 4, latentHeight, latentWidth]);
  const latents = graph.input('latents', 'float32', [1, 4, latentHeight, latentWidth]);
  const coeffs = graph.input('coeffs', 'float32', [3]);
  const pick = (index: number): string => graph.node('Gather', [coeffs, graph.initializer(int64Literal([index], [1]), `i${index}`)], { axis: attr.int(0) })[0];
  const [guidance, dt, cIn] = [pick(0), pick(1), pick(2)];
  const [prediction32] = graph.node('Cast', [prediction], { to: attr.int(FLOAT) });
  const halves = graph.initializer(int64Literal([1, 1], [2]), 'halves');
  const [uncond, cond] = graph.node('Split', [prediction32, halves], { axis: attr.int(0) }, { outputs: 2 });
  const [difference] = graph.node('Sub', [cond, uncond]);
  const [scaledDifference] = graph.node('Mul', [difference, guidance]);
  const [guided] = graph.node('Add', [uncond, scaledDifference]);
  const [move] = graph.node('Mul', [guided, dt]);
  const [next] = graph.node('Add', [latents, move], {}, { outputs: ['next_latents'] });
  const [scaled] = graph.node('Mul', [next, cIn]);
  const [doubled] = graph.node('Concat', [scaled, scaled], { axis: attr.int(0) });
  graph.node('Cast', [doubled], { to: attr.int(FLOAT16) }, { outputs: ['next_input'] });
  graph.output('next_latents', 'float32', [1, 4, latentHeight, latentWidth]);
  graph.output('next_input', 'float16', [2, 4, latentHeight, latentWidth]);
  return graph.encode().model;
}

/** y = x: run on the GPU with gpu-buffer outputs, it uploads a CPU tensor once and keeps it there. */
export function identityGraph(type: 'float16' | 'float32', dims: readonly number[]): Uint8Array {
  const graph = new GraphBuilder({ name: `upload_${type}` });
  const x = graph.input('x', type, dims);
  graph.node('Identity', [x], {}, { outputs: ['y'] });
  graph.output('y', type, dims);
  return graph.encode().model;
}
