// GPU path, ONNX Runtime half (NOT YET RUN on a device: see README.md).
//   node dist/bench/gpu/webgpu-loop.js --unet DIR/unet/model.onnx [--steps 20] [--latent 64] [--torch DIR/torch.json]
// An fp16 UNet on onnxruntime-node's WebGPU execution provider, driven for --steps Euler steps with
// classifier-free guidance, three ways:
//   gpu-resident: UNet output, latents and the next UNet input stay in GPU buffers (preferredOutputLocation
//                 'gpu-buffer', tensors fed back); the guidance + Euler update runs as a small ONNX graph
//                 on the GPU; per step only the timestep and three floats go up;
//   cpu-roundtrip: the same sessions, but every output comes back to the CPU and goes up again;
//   session.run alone: the UNet with its input already on the GPU, nothing else.
// It checks that both loops end on the same latents (bit for bit: same kernels, same inputs) and
// prints ms/step next to PyTorch's (from torch_unet_fp16.py on the same card) when --torch is given.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { toFloat16Bits } from '@atelier/onnx-graph';
import { printTable } from '../table.js';
import { eulerStepGraph, identityGraph } from './step-graph.js';

interface Options {
  readonly unet: string;
  readonly steps: number;
  readonly latent: number;
  readonly torch?: string;
}

function parse(argv: readonly string[]): Options {
  const value = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const unet = value('--unet');
  if (!unet) throw new Error('usage: node dist/bench/gpu/webgpu-loop.js --unet DIR/unet/model.onnx [--steps 20] [--latent 64] [--torch DIR/torch.json]');
  return { unet, steps: Number(value('--steps') ?? 20), latent: Number(value('--latent') ?? 64), torch: value('--torch') };
}

const GPU: ort.InferenceSession.SessionOptions = { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' };
const ON_GPU: ort.InferenceSession.SessionOptions = { ...GPU, preferredOutputLocation: 'gpu-buffer' };

/** SD 1.5's scaled-linear schedule: Euler sigmas and timesteps for `steps` steps (linspace spacing). */
function eulerSchedule(steps: number): { sigmas: number[]; timesteps: number[] } {
  const betas = Array.from({ length: 1000 }, (_, i) => (Math.sqrt(0.00085) + (i / 999) * (Math.sqrt(0.012) - Math.sqrt(0.00085))) ** 2);
  let product = 1;
  const sigmaAt = betas.map((beta) => {
    product *= 1 - beta;
    return Math.sqrt((1 - product) / product);
  });
  const timesteps = Array.from({ length: steps }, (_, i) => Math.round(999 - (i * 999) / (steps - 1)));
  return { sigmas: [...timesteps.map((t) => sigmaAt[t]), 0], timesteps };
}

interface LoopState {
  unetInput: ort.Tensor;
  latents: ort.Tensor;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const h = options.latent;
  const w = options.latent;
  const { sigmas, timesteps } = eulerSchedule(options.steps);
  const guidance = 7.5;

  const loadStart = performance.now();
  const unetGpu = await ort.InferenceSession.create(options.unet, ON_GPU);
  const loadMs = performance.now() - loadStart;
  const unetCpu = await ort.InferenceSession.create(options.unet, GPU);
  const step = await ort.InferenceSession.create(eulerStepGraph(h, w), ON_GPU);
  const stepCpu = await ort.InferenceSession.create(eulerStepGraph(h, w), GPU);
  const upload16 = (dims: number[]) => ort.InferenceSession.create(identityGraph('float16', dims), ON_GPU);
  const upload32 = (dims: number[]) => ort.InferenceSession.create(identityGraph('float32', dims), ON_GPU);

  // Deterministic start: latents ~ sigma_0 · pattern, text embeddings a fixed pattern.
  const latents0 = new Float32Array(4 * h * w).map((_, i) => Math.sin(i * 0.7) * sigmas[0]);
  const cIn = (sigma: number): number => 1 / Math.sqrt(sigma * sigma + 1);
  const input0 = new Float32Array(2 * latents0.length);
  for (let i = 0; i < latents0.length; i++) input0[i] = input0[latents0.length + i] = latents0[i] * cIn(sigmas[0]);
  const text = toFloat16Bits(new Float32Array(2 * 77 * 768).map((_, i) => Math.cos(i * 0.013) * 0.1));
  const textCpu = new ort.Tensor('float16', text, [2, 77, 768]);
  const textGpu = (await (await upload16([2, 77, 768])).run({ x: textCpu })).y;
  const timestepTensor = (t: number): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from([BigInt(t), BigInt(t)]), [2]);
  const coeffs = (index: number): ort.Tensor =>
    new ort.Tensor('float32', Float32Array.from([guidance, sigmas[index + 1] - sigmas[index], cIn(sigmas[index + 1])]), [3]);

  const start = async (): Promise<LoopState> => ({
    unetInput: (await (await upload16([2, 4, h, w])).run({ x: new ort.Tensor('float16', toFloat16Bits(input0), [2, 4, h, w]) })).y,
    latents: (await (await upload32([1, 4, h, w])).run({ x: new ort.Tensor('float32', latents0, [1, 4, h, w]) })).y,
  });

  // GPU-resident loop: nothing but the timestep and three floats crosses the bus per step.
  const runResident = async (): Promise<{ ms: number[]; firstMs: number; latents: Float32Array }> => {
    const state = await start();
    const ms: number[] = [];
    for (let index = 0; index < options.steps; index++) {
      const started = performance.now();
      const { out_sample: prediction } = await unetGpu.run({ sample: state.unetInput, timestep: timestepTensor(timesteps[index]), encoder_hidden_states: textGpu });
      const next = await step.run({ noise_pred: prediction, latents: state.latents, coeffs: coeffs(index) });
      prediction.dispose();
      state.unetInput.dispose();
      state.latents.dispose();
      state.unetInput = next.next_input;
      state.latents = next.next_latents;
      ms.push(performance.now() - started);
    }
    // Reading the result waits for the GPU queue: total wall time / steps is the honest per-step figure.
    const latents = (await state.latents.getData(true)) as Float32Array;
    return { ms, firstMs: ms[0], latents };
  };

  // Same sessions' kernels, but every tensor makes the round trip through host memory.
  const runRoundTrip = async (): Promise<{ ms: number[]; latents: Float32Array }> => {
    let input: ort.Tensor = new ort.Tensor('float16', toFloat16Bits(input0), [2, 4, h, w]);
    let latents: ort.Tensor = new ort.Tensor('float32', Float32Array.from(latents0), [1, 4, h, w]);
    const textHost = new ort.Tensor('float16', text, [2, 77, 768]);
    const ms: number[] = [];
    for (let index = 0; index < options.steps; index++) {
      const started = performance.now();
      const { out_sample: prediction } = await unetCpu.run({ sample: input, timestep: timestepTensor(timesteps[index]), encoder_hidden_states: textHost });
      const next = await stepCpu.run({ noise_pred: prediction, latents, coeffs: coeffs(index) });
      input = next.next_input;
      latents = next.next_latents;
      ms.push(performance.now() - started);
    }
    return { ms, latents: latents.data as Float32Array };
  };

  const warm = await runResident(); // first pass: shader compilation and buffer pools
  const total = async <T extends { ms: number[] }>(run: () => Promise<T>): Promise<T & { wallMs: number }> => {
    const started = performance.now();
    const result = await run();
    return { ...result, wallMs: performance.now() - started };
  };
  const resident = await total(runResident);
  const roundTrip = await total(runRoundTrip);

  let maxDifference = 0;
  for (let i = 0; i < resident.latents.length; i++) maxDifference = Math.max(maxDifference, Math.abs(resident.latents[i] - roundTrip.latents[i]));
  const finite = resident.latents.every(Number.isFinite);

  const rows: Array<Array<string | number>> = [
    ['ORT WebGPU, gpu-resident loop', (resident.wallMs / options.steps).toFixed(2), warm.firstMs.toFixed(1)],
    ['ORT WebGPU, CPU round trip per step', (roundTrip.wallMs / options.steps).toFixed(2), '-'],
  ];
  if (options.torch) {
    const torch = JSON.parse(readFileSync(options.torch, 'utf8')) as { torch_ms: number[]; device: string; torch: string };
    const sorted = [...torch.torch_ms].sort((a, b) => a - b);
    rows.push([`PyTorch ${torch.torch} fp16 eager (${torch.device})`, sorted[Math.floor(sorted.length / 2)].toFixed(2), '-']);
  }
  printTable(
    `SD 1.5 UNet fp16, batch 2 (guidance), ${h * 8}×${w * 8}, ${options.steps} Euler steps; session load ${(loadMs / 1000).toFixed(1)} s`,
    ['path', 'ms/step', 'first step ms (incl. shader compile)'],
    rows,
  );
  console.log(`\ngpu-resident vs round-trip latents: max |Δ| = ${maxDifference} (expected 0); finite: ${finite}`);
  if (maxDifference !== 0 || !finite) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
