// What a trainer's output must look like before it is handed to anyone: a safetensors file whose
// every tensor belongs to a complete kohya LoRA module with consistent shapes.
import { parseSafetensors, tensorToFloat32, type SafetensorsFile } from '@atelier/model-formats';

export class LoraFileError extends Error {
  constructor(reason: string) {
    super(`LoRA output: ${reason}`);
    this.name = 'LoraFileError';
  }
}

export interface LoraModuleInfo {
  readonly prefix: string;
  readonly rank: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly alpha: number;
}

export interface LoraFileExpectations {
  /** Every module must have this rank (network_dim). */
  readonly rank?: number;
  /** Module prefixes that must be present (e.g. lora_unet_mid_block_attentions_0_proj_out). */
  readonly requiredModules?: readonly string[];
  /** Metadata keys that must be present (e.g. ss_network_dim). */
  readonly requiredMetadata?: readonly string[];
}

export interface ValidatedLoraFile {
  readonly file: SafetensorsFile;
  readonly modules: readonly LoraModuleInfo[];
}

const KEY = /^(lora_(?:unet|te|te1|te2)_[A-Za-z0-9_]+)\.(lora_down\.weight|lora_up\.weight|alpha)$/;

export function validateLoraFile(bytes: Uint8Array, expectations: LoraFileExpectations = {}): ValidatedLoraFile {
  let file: SafetensorsFile;
  try {
    file = parseSafetensors(bytes);
  } catch (error) {
    throw new LoraFileError(`not a valid safetensors file (${(error as Error).message})`);
  }
  const groups = new Map<string, Map<string, { shape: number[]; values?: Float32Array }>>();
  for (const [name, entry] of file.tensors) {
    const match = KEY.exec(name);
    if (match === null) throw new LoraFileError(`unexpected tensor ${name} (only kohya lora_down / lora_up / alpha keys are written)`);
    const [, prefix, part] = match;
    let group = groups.get(prefix);
    if (group === undefined) groups.set(prefix, (group = new Map()));
    let values: Float32Array;
    try {
      values = tensorToFloat32(entry);
    } catch (error) {
      throw new LoraFileError(`${name}: ${(error as Error).message}`);
    }
    if (values.some((value) => !Number.isFinite(value))) throw new LoraFileError(`${name} holds NaN or infinite values`);
    group.set(part, { shape: entry.shape, values: part === 'alpha' ? values : undefined });
  }
  if (groups.size === 0) throw new LoraFileError('no LoRA tensors');

  const modules: LoraModuleInfo[] = [];
  for (const [prefix, group] of groups) {
    const down = group.get('lora_down.weight');
    const up = group.get('lora_up.weight');
    if (down === undefined || up === undefined) throw new LoraFileError(`${prefix} needs both lora_down.weight and lora_up.weight`);
    const rank = down.shape[0];
    const inFeatures = down.shape.slice(1).reduce((product, dim) => product * dim, 1);
    const outFeatures = up.shape[0];
    if (down.shape.length < 2 || up.shape.length < 2 || up.shape.slice(1).reduce((p, d) => p * d, 1) !== rank) {
      throw new LoraFileError(`${prefix}: down [${down.shape.join(', ')}] and up [${up.shape.join(', ')}] do not form a rank-${rank} product`);
    }
    const alpha = group.get('alpha')?.values?.[0] ?? rank;
    if (expectations.rank !== undefined && rank !== expectations.rank) throw new LoraFileError(`${prefix} has rank ${rank}, expected ${expectations.rank}`);
    modules.push({ prefix, rank, inFeatures, outFeatures, alpha });
  }
  for (const required of expectations.requiredModules ?? []) {
    if (!groups.has(required)) throw new LoraFileError(`module ${required} is missing`);
  }
  for (const key of expectations.requiredMetadata ?? []) {
    if (file.metadata[key] === undefined) throw new LoraFileError(`metadata ${key} is missing`);
  }
  return { file, modules };
}
