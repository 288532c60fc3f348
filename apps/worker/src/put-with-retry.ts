import type { ObjectStorage } from '@atelier/storage';
import { InvalidKeyError } from '@atelier/storage';

/**
 * Uploads survive a storage outage without re-running inference: retried with capped exponential
 * backoff for up to `budgetMs`, then the error goes up and the job is retried as a whole.
 */
export async function putWithRetry(
  storage: ObjectStorage,
  key: string,
  body: Buffer,
  contentType: string,
  budgetMs: number,
  onRetry: (attempt: number, error: unknown) => void,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await storage.put(key, body, contentType);
      return;
    } catch (error) {
      if (error instanceof InvalidKeyError || Date.now() >= deadline || signal?.aborted) throw error;
      onRetry(attempt, error);
      const delay = Math.min(5_000, 250 * 2 ** (attempt - 1), Math.max(0, deadline - Date.now()));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
