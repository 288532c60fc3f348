/**
 * Library progress callbacks are synchronous; recording progress is not. Reports are chained so
 * they land in order, and `settled()` waits for the last before the task moves on.
 */
export class ProgressChain {
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly record: (step: number, total: number) => Promise<void>) {}

  report(step: number, total: number): void {
    this.last = this.last.then(() => this.record(step, total));
  }

  settled(): Promise<void> {
    return this.last;
  }
}
