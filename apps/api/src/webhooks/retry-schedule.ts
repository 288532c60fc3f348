/**
 * Delay before retry number `attemptsMade` (1-based) on a ladder such as the Standard Webhooks
 * one (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the immediate first attempt). Jitter (±10 %)
 * keeps a receiver's recovery from meeting a thundering herd.
 */
export function webhookRetryDelayMs(ladder: readonly number[], attemptsMade: number, random: () => number = Math.random): number {
  const base = ladder[Math.min(Math.max(attemptsMade - 1, 0), ladder.length - 1)];
  return Math.round(base * (0.9 + 0.2 * random()));
}

export function parseRetryLadder(text: string): number[] {
  return text.split(',').map(Number);
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
