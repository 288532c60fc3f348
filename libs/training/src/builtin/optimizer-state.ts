// The built-in engine's optimiser state as safetensors: Adam's moments as tensors, everything else
// (Adam step, RNG, data order, recent losses, which job it belongs to) as metadata. Numbers go
// through JSON, which round-trips doubles exactly, so resuming continues bit for bit.
import { z } from 'zod';
import { float32Tensor, parseSafetensors, serializeSafetensors, tensorToFloat32 } from '@atelier/model-formats';
import type { AdamMoments } from './adam.js';
import type { RandomState } from './training-random.js';

export const OPTIMIZER_STATE_FORMAT = 'atelier-builtin-adam/1';

export interface OptimizerState {
  readonly adamStep: number;
  readonly moments: ReadonlyMap<string, AdamMoments>;
  readonly random: RandomState;
  readonly epoch: number;
  readonly order: readonly number[];
  readonly cursor: number;
  readonly recentLosses: readonly number[];
  /** Hash of everything that decides the weights: a checkpoint only resumes the job it came from. */
  readonly jobFingerprint: string;
}

const u32 = z.number().int().min(0).max(0xffffffff);
const progressSchema = z
  .object({
    adamStep: z.number().int().nonnegative(),
    random: z.object({ words: z.tuple([u32, u32, u32, u32]), spareNormal: z.number().nullable() }).strict(),
    epoch: z.number().int().nonnegative(),
    order: z.array(z.number().int().nonnegative()),
    cursor: z.number().int().nonnegative(),
    recentLosses: z.array(z.number()),
    parameters: z.array(z.string()),
  })
  .strict();

export class CheckpointMismatchError extends Error {
  constructor(reason: string) {
    super(`cannot resume from this checkpoint: ${reason}`);
    this.name = 'CheckpointMismatchError';
  }
}

export function serializeOptimizerState(state: OptimizerState): Uint8Array {
  const tensors: Record<string, ReturnType<typeof float32Tensor>> = {};
  for (const [name, moments] of state.moments) {
    tensors[`${name}.exp_avg`] = float32Tensor(moments.expAvg, [moments.expAvg.length]);
    tensors[`${name}.exp_avg_sq`] = float32Tensor(moments.expAvgSq, [moments.expAvgSq.length]);
  }
  const progress = {
    adamStep: state.adamStep,
    random: state.random,
    epoch: state.epoch,
    order: state.order,
    cursor: state.cursor,
    recentLosses: state.recentLosses,
    parameters: [...state.moments.keys()],
  };
  return serializeSafetensors(tensors, { format: OPTIMIZER_STATE_FORMAT, job_fingerprint: state.jobFingerprint, progress: JSON.stringify(progress) });
}

export function parseOptimizerState(bytes: Uint8Array): OptimizerState {
  let file;
  try {
    file = parseSafetensors(bytes);
  } catch (error) {
    throw new CheckpointMismatchError(`optimizer state is not safetensors (${(error as Error).message})`);
  }
  if (file.metadata.format !== OPTIMIZER_STATE_FORMAT) throw new CheckpointMismatchError(`optimizer state format ${file.metadata.format ?? 'missing'}, expected ${OPTIMIZER_STATE_FORMAT}`);
  let json: unknown;
  try {
    json = JSON.parse(file.metadata.progress ?? '');
  } catch {
    throw new CheckpointMismatchError('optimizer state progress is not JSON');
  }
  const parsed = progressSchema.safeParse(json);
  if (!parsed.success) throw new CheckpointMismatchError(`optimizer state progress: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const moments = new Map<string, AdamMoments>();
  for (const name of parsed.data.parameters) {
    const read = (key: string): Float32Array => {
      const entry = file.tensors.get(key);
      if (entry === undefined) throw new CheckpointMismatchError(`optimizer state has no ${key}`);
      return Float32Array.from(tensorToFloat32(entry));
    };
    moments.set(name, { expAvg: read(`${name}.exp_avg`), expAvgSq: read(`${name}.exp_avg_sq`) });
  }
  const { parameters: _parameters, ...progress } = parsed.data;
  return { ...progress, moments, jobFingerprint: file.metadata.job_fingerprint ?? '' };
}
