import type { ImageTaskKind, ResolvedImageTask } from '@atelier/contracts';

/** One output a task produced, encoded and ready to store. */
export interface TaskImage {
  /** What it is (`control`, later `upscaled`, `mask`, …). */
  readonly kind: string;
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly extension: string;
  readonly width: number;
  readonly height: number;
}

export interface TaskResult {
  readonly images: readonly TaskImage[];
  /** Kind-specific facts shown on the task (e.g. the detector size, people found). */
  readonly metadata: Record<string, unknown>;
}

export interface TaskContext {
  /** Whose task it is: models are located for this tenant (its private registry models first). */
  readonly tenant: string;
  /** Aborted on cancel or shutdown: long runners check it between their stages (tiles, models). */
  readonly signal: AbortSignal;
  readonly onProgress: (step: number, total: number) => Promise<void>;
}

/**
 * The work of one image task kind. Adding a kind is a runner like this plus its request schema
 * and route: states, retries, cancel, uploads, webhooks and metrics are ImageTaskHandler's.
 */
export interface ImageTaskRunner<K extends ImageTaskKind = ImageTaskKind> {
  readonly kind: K;
  run(task: Extract<ResolvedImageTask, { kind: K }>, context: TaskContext): Promise<TaskResult>;
}

/**
 * A failure retrying cannot fix, with the error code the task ends with (e.g. `invalid_image`,
 * `unknown_model`); its message names the request field at fault.
 */
export class PermanentTaskError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentTaskError';
  }
}

/** A cancel or shutdown reached a runner between its stages. */
export class TaskAbortedError extends Error {
  readonly code = 'canceled';

  constructor(readonly reason: unknown) {
    super('image task aborted');
    this.name = 'TaskAbortedError';
  }
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new TaskAbortedError(signal.reason);
}
