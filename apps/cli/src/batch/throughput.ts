/** Images per minute and time left, measured over this run only (work resumed from earlier runs does not count). */
export class Throughput {
  private lines = 0;
  private images = 0;

  constructor(private readonly started: number = Date.now()) {}

  record(images: number): void {
    this.lines++;
    this.images += images;
  }

  get imagesDone(): number {
    return this.images;
  }

  imagesPerMinute(now: number = Date.now()): number | undefined {
    const elapsed = now - this.started;
    return this.images > 0 && elapsed > 0 ? (this.images * 60_000) / elapsed : undefined;
  }

  /** Remaining lines at the pace lines have finished so far; unknown before the first one. */
  etaMs(remainingLines: number, now: number = Date.now()): number | undefined {
    if (remainingLines <= 0) return 0;
    if (this.lines === 0) return undefined;
    return ((now - this.started) / this.lines) * remainingLines;
  }
}
