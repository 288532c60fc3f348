/**
 * Every Redis key Atelier owns outside BullMQ's own, in one place. They live under
 * `<prefix>:farm:` (prefix from `bullmqPrefix`: hash-tagged on a Cluster, so these keys and BullMQ's share
 * one slot) because BullMQ keys are `<prefix>:<queue>:<jobId>`: a record at
 * `<prefix>:generation:<id>` would collide with the job of the same id in the `generation` queue.
 */
export class RedisKeys {
  readonly prefix: string;

  constructor(queuePrefix: string) {
    this.prefix = `${queuePrefix}:farm`;
  }

  generation(id: string): string {
    return `${this.prefix}:generation:${id}`;
  }
  batch(id: string): string {
    return `${this.prefix}:batch:${id}`;
  }
  batchItems(id: string): string {
    return `${this.prefix}:batch:${id}:items`;
  }
  cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }
  worker(id: string): string {
    return `${this.prefix}:worker:${id}`;
  }
  workers(): string {
    return `${this.prefix}:workers`;
  }
  tenantOutstanding(tenant: string): string {
    return `${this.prefix}:tenant:${tenant}:outstanding`;
  }
  tenantGenerations(tenant: string): string {
    return `${this.prefix}:tenant:${tenant}:generations`;
  }
  tenantRunning(tenant: string): string {
    return `${this.prefix}:tenant:${tenant}:running`;
  }
  models(): string {
    return `${this.prefix}:models`;
  }
  training(id: string): string {
    return `${this.prefix}:training:${id}`;
  }
  imageTask(id: string): string {
    return `${this.prefix}:image-task:${id}`;
  }
  /** Stream of lifecycle events appended by the transition scripts, drained into the webhook queue. */
  outbox(): string {
    return `${this.prefix}:outbox`;
  }
  /**
   * A key never written, passed where a script takes an optional key: it hashes to the same slot
   * as every other key here, which "" (slot 0) does not. Scripts recognise it by its `:absent` end.
   */
  absent(): string {
    return `${this.prefix}:absent`;
  }
  workerClasses(): string {
    return `${this.prefix}:worker-classes`;
  }
}
