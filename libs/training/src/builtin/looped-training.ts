// A built-in engine's prepared run: the shared step loop (training-loop.ts) around what the engine
// supplies — its starting or resumed state, one optimiser step, a preview, a checkpoint and the
// final file. Subclasses differ only in what is trained and how it is written.
import type { TrainingImage } from '../dataset/training-example.js';
import type { PreparedTraining, RunOptions, TrainingCheckpoint, TrainingResult } from '../engine/trainer-engine.js';
import type { TrainingJob } from '../engine/training-job.js';
import { runTrainingLoop, type LoopState } from './training-loop.js';

/** What the loop reads of an engine's prepared job (engines add their model and examples). */
export interface LoopedTrainingInputs {
  readonly job: TrainingJob;
  /** The instance examples an epoch permutes. */
  readonly instances: readonly unknown[];
  readonly samples: readonly { readonly prompt: string }[];
}

export abstract class LoopedTraining<S extends LoopState, I extends LoopedTrainingInputs> implements PreparedTraining {
  readonly totalSteps: number;
  protected readonly batchesPerEpoch: number;

  constructor(
    protected readonly prepared: I,
    private readonly now: () => Date,
  ) {
    const { params } = prepared.job;
    this.totalSteps = params.maxTrainSteps;
    this.batchesPerEpoch = Math.ceil(prepared.instances.length / params.batchSize);
  }

  async dispose(): Promise<void> {}

  async run(options: RunOptions = {}): Promise<TrainingResult> {
    const startedAt = this.now();
    const state = options.resumeFrom ? this.resume(options.resumeFrom) : this.fresh();
    const finalLoss = await runTrainingLoop(state, options, {
      params: this.prepared.job.params,
      totalSteps: this.totalSteps,
      batchesPerEpoch: this.batchesPerEpoch,
      exampleCount: this.prepared.instances.length,
      samples: this.prepared.samples,
      trainStep: (current, batch, learningRate) => this.trainStep(current, batch, learningRate),
      preview: (current, sample) => this.preview(current, sample),
      checkpoint: (current) => this.checkpoint(current, startedAt),
    });
    const { safetensors, metadata } = this.result(state, startedAt, this.now());
    return { safetensors, metadata, steps: state.step, finalLoss };
  }

  protected abstract fresh(): S;
  /** The state a checkpoint continues from; CheckpointMismatchError when it is not this job's. */
  protected abstract resume(checkpoint: TrainingCheckpoint): S;
  /** One optimiser step on the batch (indices into the instances); returns the batch loss. */
  protected abstract trainStep(state: S, batch: readonly number[], learningRate: number): number;
  protected abstract preview(state: S, sample: I['samples'][number]): TrainingImage;
  protected abstract checkpoint(state: S, startedAt: Date): TrainingCheckpoint;
  /** The trained file and its metadata once the last step is done. */
  protected abstract result(state: S, startedAt: Date, finishedAt: Date): { readonly safetensors: Uint8Array; readonly metadata: Record<string, string> };
}
