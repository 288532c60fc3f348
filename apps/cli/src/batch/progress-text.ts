import { formatDuration } from '../terminal/durations.js';

export interface BatchProgress {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly running: number;
  readonly queued: number;
  readonly unsubmitted: number;
  readonly imagesPerMinute?: number;
  readonly etaMs?: number;
}

export function progressBar(fraction: number, width: number, unicode: boolean): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  const [full, empty] = unicode ? ['█', '░'] : ['#', '-'];
  return `[${full.repeat(filled)}${empty.repeat(width - filled)}]`;
}

/** `[#####-----] 10/20 done, 1 failed, 2 running, 3 queued, 4 to submit | 12.0 images/min | ETA 40s` */
export function batchProgressText(progress: BatchProgress, unicode: boolean): string {
  const finished = progress.done + progress.failed;
  const counts = [`${progress.done}/${progress.total} done`, `${progress.failed} failed`, `${progress.running} running`, `${progress.queued} queued`];
  if (progress.unsubmitted > 0) counts.push(`${progress.unsubmitted} to submit`);
  const rate = progress.imagesPerMinute === undefined ? '- images/min' : `${progress.imagesPerMinute.toFixed(1)} images/min`;
  const eta = progress.etaMs === undefined ? 'ETA -' : `ETA ${formatDuration(progress.etaMs)}`;
  return `${progressBar(progress.total ? finished / progress.total : 1, 20, unicode)} ${counts.join(', ')} | ${rate} | ${eta}`;
}

/** What is worth a new line in a plain-text log: lines finishing, not the rate and ETA that move on every tick. */
export function progressKey(progress: BatchProgress): string {
  return `${progress.done},${progress.failed}`;
}
