/**
 * The Standard Webhooks retry ladder after the first (immediate) attempt: 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 10 h. Jitter (±10 %) keeps a receiver's recovery from meeting a thundering herd.
 */
const LADDER_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export function webhookRetryDelayMs(attemptsMade: number, random: () => number = Math.random): number {
  const base = LADDER_MS[Math.min(Math.max(attemptsMade - 1, 0), LADDER_MS.length - 1)];
  return Math.round(base * (0.9 + 0.2 * random()));
}

/** An error carrying the receiver's Retry-After, which overrides the ladder for that attempt. */
export class RetryAfterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'RetryAfterError';
  }
}
