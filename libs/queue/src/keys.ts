/** Every Redis key Atelier owns outside BullMQ's own, in one place. */
export class RedisKeys {
  constructor(readonly prefix: string) {}

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
  models(): string {
    return `${this.prefix}:models`;
  }
}
