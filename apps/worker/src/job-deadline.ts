/**
 * One AbortSignal for the denoising loop that fires on the job's cancellation (BullMQ's signal:
 * cancel requests, shutdown hand-back) or when the job's deadline passes. Written by hand rather
 * than with AbortSignal.any, whose composite signals did not fire reliably on Node 20.
 */
export function jobDeadline(deadlineAt: number, jobSignal: AbortSignal | undefined): { signal: AbortSignal; readonly aborted: boolean; clear(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('deadline exceeded'));
  }, Math.max(0, deadlineAt - Date.now()));
  const forward = (): void => controller.abort(jobSignal?.reason);
  if (jobSignal?.aborted) forward();
  else jobSignal?.addEventListener('abort', forward, { once: true });
  return {
    signal: controller.signal,
    get aborted() {
      return timedOut;
    },
    clear: () => {
      clearTimeout(timer);
      jobSignal?.removeEventListener('abort', forward);
    },
  };
}
