// One kohya-style LoRA module: ΔW = (alpha / rank) · up · down, down [rank, in], up [out, rank],
// stored as `<prefix>.lora_down.weight`, `<prefix>.lora_up.weight` and `<prefix>.alpha`.
import { float32Tensor, parseSafetensors, serializeSafetensors, tensorToFloat32 } from '@atelier/model-formats';
import type { TrainingRandom } from '../builtin/training-random.js';

export interface LoraWeights {
  readonly prefix: string;
  readonly rank: number;
  readonly alpha: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly down: Float32Array;
  readonly up: Float32Array;
}

export const loraKeys = (prefix: string): { down: string; up: string; alpha: string } => ({
  down: `${prefix}.lora_down.weight`,
  up: `${prefix}.lora_up.weight`,
  alpha: `${prefix}.alpha`,
});

/**
 * kohya's initialisation: down ~ kaiming_uniform(a = √5), i.e. U(−1/√in, 1/√in); up = 0, so
 * training starts from the base model exactly.
 */
export function initialLoraWeights(
  shape: Omit<LoraWeights, 'down' | 'up'>,
  random: TrainingRandom,
): LoraWeights {
  const bound = 1 / Math.sqrt(shape.inFeatures);
  const down = Float32Array.from({ length: shape.rank * shape.inFeatures }, () => (2 * random.uniform() - 1) * bound);
  return { ...shape, down, up: new Float32Array(shape.outFeatures * shape.rank) };
}

export function serializeLora(weights: LoraWeights, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const keys = loraKeys(weights.prefix);
  return serializeSafetensors(
    {
      [keys.down]: float32Tensor(weights.down, [weights.rank, weights.inFeatures]),
      [keys.up]: float32Tensor(weights.up, [weights.outFeatures, weights.rank]),
      [keys.alpha]: float32Tensor(Float32Array.of(weights.alpha), []),
    },
    metadata,
  );
}

/** Reads one module back, checking it has the expected shapes. */
export function parseLora(bytes: Uint8Array, expected: Omit<LoraWeights, 'down' | 'up' | 'alpha'>): LoraWeights {
  const file = parseSafetensors(bytes);
  const keys = loraKeys(expected.prefix);
  const tensor = (name: string, shape: readonly number[]): Float32Array => {
    const entry = file.tensors.get(name);
    if (entry === undefined) throw new Error(`LoRA state has no ${name}`);
    if (entry.shape.join(',') !== shape.join(',')) throw new Error(`${name} has shape [${entry.shape.join(', ')}], expected [${shape.join(', ')}]`);
    return Float32Array.from(tensorToFloat32(entry));
  };
  const down = tensor(keys.down, [expected.rank, expected.inFeatures]);
  const up = tensor(keys.up, [expected.outFeatures, expected.rank]);
  const alpha = tensor(keys.alpha, [])[0];
  return { ...expected, alpha, down, up };
}
