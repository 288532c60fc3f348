// LoRA files for tests, built from explicit up/down matrices so a test can compute the merged
// weight on its own (W + weight · alpha/rank · up·down) and compare against the library's merge.
import { toFloat16Bits, fromFloat16Bits } from '@atelier/onnx-graph';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type TensorInput } from '@atelier/model-formats';
import { randomValues, type Weights } from './exporter-model.js';

export interface LoraModule {
  /** Key stem: "lora_unet_…" (kohya) or "unet.…" (PEFT). */
  readonly stem: string;
  /** diffusers parameter it changes, e.g. "conv_in.weight". */
  readonly parameter: string;
  readonly up: Float32Array;
  readonly upShape: readonly number[];
  readonly down: Float32Array;
  readonly downShape: readonly number[];
  readonly alpha?: number;
}

/** A module of rank `rank` for a weight of PyTorch shape `shape`; `conv1x1Style` stores 4-D up/down. */
export function loraModule(stem: string, parameter: string, shape: readonly number[], rank: number, seed: number, options: { alpha?: number; conv1x1Style?: boolean } = {}): LoraModule {
  const [out, ...rest] = shape;
  const columns = rest.reduce((a, b) => a * b, 1);
  const spatial = rest.length > 1 ? rest.slice(1) : [];
  const downShape = [rank, rest[0], ...spatial];
  const upShape = spatial.length > 0 || options.conv1x1Style ? [out, rank, 1, 1] : [out, rank];
  return {
    stem,
    parameter,
    up: randomValues(out * rank, seed, 0.6),
    upShape,
    down: randomValues(rank * columns, seed + 1, 0.6),
    downShape: options.conv1x1Style && spatial.length === 0 ? [...downShape, 1, 1] : downShape,
    alpha: options.alpha,
  };
}

function entry(values: Float32Array, shape: readonly number[], dtype: 'F32' | 'F16'): TensorInput {
  const data = dtype === 'F32' ? new Uint8Array(values.slice().buffer) : new Uint8Array(toFloat16Bits(values).buffer);
  return { dtype, shape, data };
}

export function kohyaFile(modules: readonly LoraModule[], extra: Readonly<Record<string, TensorInput>> = {}): SafetensorsFile {
  const tensors = new Map<string, TensorInput>(Object.entries(extra));
  for (const module of modules) {
    tensors.set(`${module.stem}.lora_down.weight`, entry(module.down, module.downShape, 'F32'));
    tensors.set(`${module.stem}.lora_up.weight`, entry(module.up, module.upShape, 'F32'));
    if (module.alpha !== undefined) tensors.set(`${module.stem}.alpha`, entry(Float32Array.of(module.alpha), [], 'F32'));
  }
  return parseSafetensors(serializeSafetensors(tensors, { ss_network_module: 'networks.lora' }));
}

/** PEFT layout, stored as float16 like most published files; no alpha (scale 1). */
export function peftFile(modules: readonly LoraModule[]): SafetensorsFile {
  const tensors = new Map<string, TensorInput>();
  for (const module of modules) {
    tensors.set(`${module.stem}.lora_A.weight`, entry(module.down, module.downShape, 'F16'));
    tensors.set(`${module.stem}.lora_B.weight`, entry(module.up, module.upShape, 'F16'));
  }
  return parseSafetensors(serializeSafetensors(tensors));
}

/** What float16 storage does to a module's values. */
export function roundedToHalf(module: LoraModule): LoraModule {
  return { ...module, up: fromFloat16Bits(toFloat16Bits(module.up)), down: fromFloat16Bits(toFloat16Bits(module.down)) };
}

/**
 * The expected merge, computed directly in float64: W + Σ weight · (alpha / rank) · up·down,
 * in PyTorch layout. Independent of the library's merge code on purpose.
 */
export function mergedReference(base: Weights, applied: readonly { module: LoraModule; weight: number }[]): Weights {
  const result: Weights = { ...base };
  const sums = new Map<string, Float64Array>();
  for (const { module, weight } of applied) {
    const rank = module.downShape[0];
    const out = module.upShape[0];
    const columns = module.down.length / rank;
    const scale = (weight * (module.alpha ?? rank)) / rank;
    const sum = sums.get(module.parameter) ?? Float64Array.from(base[module.parameter]);
    for (let o = 0; o < out; o++) {
      for (let c = 0; c < columns; c++) {
        let dot = 0;
        for (let k = 0; k < rank; k++) dot += module.up[o * rank + k] * module.down[k * columns + c];
        sum[o * columns + c] += scale * dot;
      }
    }
    sums.set(module.parameter, sum);
  }
  for (const [parameter, sum] of sums) result[parameter] = Float32Array.from(sum);
  return result;
}
