/** The jobs this worker runs now and how many it has finished: what its heartbeat announces. */
export class ActiveJobs {
  private readonly running = new Set<string>();
  private finished = 0;

  /** Runs `work` as job `id`, counted as running until it settles and as done after. */
  async track<T>(id: string, work: () => Promise<T>): Promise<T> {
    this.running.add(id);
    try {
      return await work();
    } finally {
      this.running.delete(id);
      this.finished++;
    }
  }

  ids(): string[] {
    return [...this.running];
  }

  get done(): number {
    return this.finished;
  }
}
