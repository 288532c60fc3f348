// The step loop the built-in engines share (LoRA, textual inversion, DreamBooth): epochs over a
// fresh permutation, batches, the learning-rate schedule, the running loss average over one epoch,
// progress events, previews every sample_every, checkpoints every save_every, cancellation.
// What is trained, and how a step, a preview or a checkpoint is made, is the engine's. One loop so
// the order of random draws and events (which bit-for-bit resume depends on) cannot drift apart.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RunOptions, TrainingCheckpoint, TrainingEvent } from '../engine/trainer-engine.js';
import { TrainingCanceledError } from '../engine/trainer-engine.js';
import { learningRateAt } from '../engine/learning-rate.js';
import type { TrainingParams } from '../engine/training-job.js';
import type { Adam } from './adam.js';
import { CheckpointMismatchError, serializeOptimizerState, type OptimizerState } from './optimizer-state.js';
import { TrainingRandom } from './training-random.js';

/** The progress every engine's run state carries (its trained tensors are its own). */
export interface LoopState {
  step: number;
  adam: Adam;
  random: TrainingRandom;
  epoch: number;
  order: number[];
  cursor: number;
  recentLosses: number[];
}

type SampleImage = Extract<TrainingEvent, { type: 'sample' }>['image'];

export interface TrainingLoop<S extends LoopState, P extends { readonly prompt: string }> {
  readonly params: TrainingParams;
  readonly totalSteps: number;
  readonly batchesPerEpoch: number;
  /** How many instance examples an epoch permutes. */
  readonly exampleCount: number;
  readonly samples: readonly P[];
  /** One optimiser step on the batch (indices into the examples); returns the batch loss. */
  trainStep(state: S, batch: readonly number[], learningRate: number): number;
  preview(state: S, sample: P): SampleImage;
  checkpoint(state: S): TrainingCheckpoint;
}

/** Trains from `state` up to totalSteps; returns the last step's loss (null when none ran). */
export async function runTrainingLoop<S extends LoopState, P extends { readonly prompt: string }>(
  state: S,
  options: RunOptions,
  loop: TrainingLoop<S, P>,
): Promise<number | null> {
  const { params, totalSteps, batchesPerEpoch } = loop;
  const emit = async (event: TrainingEvent): Promise<void> => {
    await options.onProgress?.(event);
  };
  await emit({ type: 'started', step: state.step, totalSteps, resumed: options.resumeFrom !== undefined });
  let lastLoss: number | null = null;
  while (state.step < totalSteps) {
    if (options.signal?.aborted) throw new TrainingCanceledError(state.step, options.signal.reason);
    if (state.cursor >= state.order.length) {
      state.epoch++;
      state.order = state.random.permutation(loop.exampleCount);
      state.cursor = 0;
      await emit({ type: 'epoch', epoch: state.epoch, totalEpochs: totalEpochsOf(totalSteps, batchesPerEpoch) });
    }
    const batch = state.order.slice(state.cursor, state.cursor + params.batchSize);
    state.cursor += batch.length;
    const learningRate = learningRateAt(params, state.step + 1);
    const loss = loop.trainStep(state, batch, learningRate);
    state.step++;
    lastLoss = loss;
    state.recentLosses.push(loss);
    if (state.recentLosses.length > batchesPerEpoch) state.recentLosses.shift();
    const averageLoss = state.recentLosses.reduce((sum, value) => sum + value, 0) / state.recentLosses.length;
    await emit({ type: 'step', step: state.step, totalSteps, epoch: state.epoch, loss, averageLoss, learningRate });
    if (params.sampleEvery > 0 && state.step % params.sampleEvery === 0) {
      for (const sample of loop.samples) await emit({ type: 'sample', step: state.step, prompt: sample.prompt, image: loop.preview(state, sample) });
    }
    if (params.saveEvery > 0 && state.step % params.saveEvery === 0 && state.step < totalSteps) {
      await emit({ type: 'checkpoint', checkpoint: loop.checkpoint(state) });
    }
    // Lets abort signals and I/O callbacks run between steps.
    await yieldToEventLoop();
  }
  return lastLoss;
}

export function totalEpochsOf(totalSteps: number, batchesPerEpoch: number): number {
  return Math.ceil(totalSteps / batchesPerEpoch);
}

/** The loop progress of a run that starts at step 0 (`random` may already have drawn initial weights). */
export function freshLoopState(adam: Adam, random: TrainingRandom): LoopState {
  return { step: 0, adam, random, epoch: 0, order: [], cursor: 0, recentLosses: [] };
}

/** The loop progress a checkpoint resumes, once its optimizer state is known to match the job. */
export function resumedLoopState(step: number, adam: Adam, optimizer: OptimizerState): LoopState {
  return {
    step,
    adam,
    random: TrainingRandom.fromState(optimizer.random),
    epoch: optimizer.epoch,
    order: [...optimizer.order],
    cursor: optimizer.cursor,
    recentLosses: [...optimizer.recentLosses],
  };
}

/** Rejects a checkpoint of another job, past the end, or whose optimizer is at another step. */
export function checkResumable(checkpoint: TrainingCheckpoint, optimizer: OptimizerState, fingerprint: string, totalSteps: number): void {
  if (optimizer.jobFingerprint !== fingerprint) throw new CheckpointMismatchError('it was written by a different job (parameters or dataset differ)');
  if (!Number.isInteger(checkpoint.step) || checkpoint.step < 0 || checkpoint.step > totalSteps) throw new CheckpointMismatchError(`step ${checkpoint.step} is outside 0 … ${totalSteps}`);
  if (optimizer.adamStep !== checkpoint.step) throw new CheckpointMismatchError(`the optimizer state is at step ${optimizer.adamStep}, the checkpoint says ${checkpoint.step}`);
}

/** The optimizer half of a checkpoint: Adam, the generator and the data order at this step. */
export function loopOptimizerState(state: LoopState, fingerprint: string): Uint8Array {
  return serializeOptimizerState({
    adamStep: state.adam.step,
    moments: state.adam.moments,
    random: state.random.state(),
    epoch: state.epoch,
    order: state.order,
    cursor: state.cursor,
    recentLosses: state.recentLosses,
    jobFingerprint: fingerprint,
  });
}
