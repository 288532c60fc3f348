import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { GenerationStatus, TERMINAL_STATUSES, type ImageTaskRecord } from '@atelier/contracts';
import { ImageTaskStore } from '@atelier/records';
import { ApiError } from '../common/api-error.js';
import { RECORD_POLL_INTERVAL_MS } from '../events/record-stream.js';

/** How long a blocking caller waits, and its disconnect (see compat/wait-budget.ts). */
export interface TaskWait {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Task error codes that mean the client's input was unusable (a 400 for a blocking caller, not a 5xx). */
const INPUT_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_image',
  'upscale_image_invalid',
  'upscale_option_invalid',
  'face_image_invalid',
  'face_option_invalid',
  'invalid_segmentation_image',
  'invalid_segmentation_prompt',
  'unsupported_segmentation_prompt',
]);

/**
 * Blocks until an image task is terminal, for synchronous compatibility routes (A1111's extras):
 * polls the record as GenerationWaiter does. Anything but success is an ApiError carrying the
 * task's error code; the task itself keeps its record (GET /v1/tasks/{id}).
 */
@Injectable()
export class ImageTaskWaiter {
  constructor(@Inject(ImageTaskStore) private readonly tasks: ImageTaskStore) {}

  async succeeded(id: string, wait: TaskWait): Promise<ImageTaskRecord> {
    const deadline = Date.now() + wait.timeoutMs;
    for (;;) {
      const record = await this.tasks.get(id);
      if (record && TERMINAL_STATUSES.has(record.status)) return outcome(record);
      const left = deadline - Date.now();
      if (left <= 0 || wait.signal?.aborted) {
        throw new ApiError(HttpStatus.GATEWAY_TIMEOUT, 'task_timeout', `task ${id} did not finish within ${Math.round(wait.timeoutMs / 1000)} s; it keeps running and GET /v1/tasks/${id} returns its result`);
      }
      await pause(Math.min(RECORD_POLL_INTERVAL_MS, left), wait.signal);
    }
  }
}

function outcome(record: ImageTaskRecord): ImageTaskRecord {
  if (record.status === GenerationStatus.Succeeded) return record;
  if (record.status === GenerationStatus.Canceled) throw new ApiError(HttpStatus.CONFLICT, 'task_canceled', `task ${record.id} was canceled`);
  const failure = record.error ?? { code: 'task_failed', message: 'the task failed' };
  const status = INPUT_ERROR_CODES.has(failure.code) ? HttpStatus.BAD_REQUEST : HttpStatus.INTERNAL_SERVER_ERROR;
  throw new ApiError(status, failure.code, `task ${record.id} failed: ${failure.message}`);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
