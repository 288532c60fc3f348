import { GenerationStatus, type GenerationRecord } from '@atelier/contracts';

/** GET /sdapi/v1/progress as A1111 answers it. */
export interface A1111Progress {
  readonly progress: number;
  readonly eta_relative: number;
  readonly state: {
    readonly skipped: boolean;
    readonly interrupted: boolean;
    readonly job: string;
    readonly job_count: number;
    readonly job_timestamp: string;
    readonly job_no: number;
    readonly sampling_step: number;
    readonly sampling_steps: number;
  };
  readonly current_image: null;
  readonly textinfo: string | null;
}

/**
 * Progress of the caller's current job: the most recent running one, else the most recent
 * queued one (progress 0), else an idle answer. `job_count` counts the caller's unfinished jobs
 * among `recent`. The ETA extrapolates the time per step so far, as A1111 does.
 */
export function toA1111Progress(recent: readonly GenerationRecord[], now = Date.now()): A1111Progress {
  const unfinished = recent.filter((record) => record.status === GenerationStatus.Running || record.status === GenerationStatus.Queued);
  const current = unfinished.find((record) => record.status === GenerationStatus.Running) ?? unfinished[0];
  const step = current?.status === GenerationStatus.Running ? current.progress.step : 0;
  const total = current?.progress.total ?? 0;
  const progress = total > 0 ? Math.min(1, step / total) : 0;
  const elapsedSeconds = current?.started_at ? Math.max(0, now - Date.parse(current.started_at)) / 1000 : 0;
  const eta = progress > 0 ? (elapsedSeconds / progress) * (1 - progress) : 0;
  return {
    progress,
    eta_relative: Number(eta.toFixed(3)),
    state: {
      skipped: false,
      interrupted: current?.cancel_requested ?? false,
      job: current?.id ?? '',
      job_count: unfinished.length,
      job_timestamp: current ? current.created_at.replace(/[-:T]/g, '').slice(0, 14) : '0',
      job_no: 0,
      sampling_step: step,
      sampling_steps: total,
    },
    current_image: null,
    textinfo: current ? `${current.status} ${current.id}` : null,
  };
}
