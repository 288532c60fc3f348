/**
 * Calls `write` at most once per interval (and always for the last step), without awaiting it,
 * so the denoising loop never waits on Redis.
 */
export function throttleProgress(intervalMs: number, write: (step: number, total: number) => Promise<unknown>, onError: (error: unknown) => void) {
  let last = 0;
  return (step: number, total: number): void => {
    const now = performance.now();
    if (step !== total && now - last < intervalMs) return;
    last = now;
    write(step, total).catch(onError);
  };
}
