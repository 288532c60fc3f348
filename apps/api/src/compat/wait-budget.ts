import type { Request, Response } from 'express';
import type { AppConfig } from '@atelier/config';
import type { BlockingWait } from './blocking-generator.js';

/** A job is terminal by JOB_DEADLINE_MS after submission; the grace covers the final write. */
const DEADLINE_GRACE_MS = 5_000;

/**
 * How long a blocking compatibility call waits for its images. By default until the job's own
 * deadline (so a 504 means the farm is stuck, not slow); `Prefer: wait=<seconds>` (RFC 7240)
 * lets a caller with a shorter HTTP timeout ask for less.
 */
export function waitBudgetMs(preferHeader: string | undefined, config: AppConfig): number {
  const ceiling = config.env.JOB_DEADLINE_MS + DEADLINE_GRACE_MS;
  const asked = /(?:^|[,;\s])wait=(\d+)/i.exec(preferHeader ?? '')?.[1];
  return asked === undefined ? ceiling : Math.min(ceiling, Number(asked) * 1000);
}

/** The wait of a blocking call: its budget, aborted (the wait, not the job) when the client disconnects. */
export function blockingWait(request: Request, response: Response, config: AppConfig): BlockingWait {
  const disconnected = new AbortController();
  response.on('close', () => disconnected.abort());
  return { timeoutMs: waitBudgetMs(request.header('prefer'), config), signal: disconnected.signal };
}
