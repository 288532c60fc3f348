export const GenerationStatus = Object.freeze({
  Queued: 'queued',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Canceled: 'canceled',
} as const);
export type GenerationStatus = (typeof GenerationStatus)[keyof typeof GenerationStatus];

export const TERMINAL_STATUSES: ReadonlySet<GenerationStatus> = new Set([
  GenerationStatus.Succeeded,
  GenerationStatus.Failed,
  GenerationStatus.Canceled,
]);

export const ALL_STATUSES: readonly GenerationStatus[] = Object.values(GenerationStatus);
