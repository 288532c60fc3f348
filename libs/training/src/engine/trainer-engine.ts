import type { TrainingImage } from '../dataset/training-example.js';
import type { TrainingJob } from './training-job.js';

/**
 * Everything needed to continue a run: the LoRA so far (a valid kohya LoRA file on its own) and
 * the engine's optimiser state (opaque bytes; the built-in engine stores Adam moments, step and
 * RNG state in safetensors, the Kohya engine its --save_state folder or nothing).
 */
export interface TrainingCheckpoint {
  readonly step: number;
  readonly loraState: Uint8Array;
  readonly optimizerState: Uint8Array;
}

export type TrainingEvent =
  | { readonly type: 'started'; readonly step: number; readonly totalSteps: number; readonly resumed: boolean }
  | {
      readonly type: 'step';
      readonly step: number;
      readonly totalSteps: number;
      readonly epoch: number;
      /** The loss of this step's batch (as optimised, i.e. after any loss weighting). */
      readonly loss: number;
      /** Mean loss over the last epoch's worth of steps (kohya's avr_loss). */
      readonly averageLoss: number;
      readonly learningRate: number;
    }
  | { readonly type: 'epoch'; readonly epoch: number; readonly totalEpochs: number | null }
  | {
      readonly type: 'sample';
      readonly step: number;
      readonly prompt: string;
      /** The preview itself (built-in engine), or where the trainer wrote it (Kohya). */
      readonly image?: TrainingImage;
      readonly path?: string;
    }
  | { readonly type: 'checkpoint'; readonly checkpoint: TrainingCheckpoint };

export interface RunOptions {
  /** Awaited: a checkpoint is durable once the callback resolves, before training goes on. */
  readonly onProgress?: (event: TrainingEvent) => Promise<void> | void;
  /** Aborting stops at the next step (the child process is killed) with TrainingCanceledError. */
  readonly signal?: AbortSignal;
  readonly resumeFrom?: TrainingCheckpoint;
}

export interface TrainingResult {
  /** The final kohya-format LoRA, training metadata (ss_*) included. */
  readonly safetensors: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
  readonly steps: number;
  /** The last reported loss, when the engine reported one. */
  readonly finalLoss: number | null;
}

export interface PreparedTraining {
  readonly totalSteps: number;
  run(options?: RunOptions): Promise<TrainingResult>;
  /** Releases sessions and temporary files. */
  dispose(): Promise<void>;
}

export interface TrainerEngine {
  readonly name: string;
  /** Checks the job against the engine and loads what training needs; nothing is trained yet. */
  prepare(job: TrainingJob): Promise<PreparedTraining>;
}

export class TrainingCanceledError extends Error {
  constructor(readonly step: number, reason?: unknown) {
    super(`training canceled at step ${step}${reason instanceof Error ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : ''}`);
    this.name = 'TrainingCanceledError';
  }
}

export class TrainingFailedError extends Error {
  constructor(message: string, readonly detail?: string) {
    super(message);
    this.name = 'TrainingFailedError';
  }
}
