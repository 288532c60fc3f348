import type { RedisClient } from './redis-connection.js';
import type { RedisKeys } from './keys.js';

/**
 * Running jobs are canceled through pub/sub so that a worker learns about it without polling
 * Redis inside the denoising loop: the loop only reads an AbortSignal.
 */
export class CancelChannel {
  constructor(
    private readonly keys: RedisKeys,
    private readonly publisher: RedisClient,
  ) {}

  async requestCancel(generationId: string): Promise<void> {
    await this.publisher.publish(this.keys.cancelChannel(), generationId);
  }

  /** `subscriber` must be a dedicated connection (it enters subscriber mode). */
  async listen(subscriber: RedisClient, onCancel: (generationId: string) => void): Promise<void> {
    const channel = this.keys.cancelChannel();
    subscriber.on('message', (received: string, generationId: string) => {
      if (received === channel) onCancel(generationId);
    });
    await subscriber.subscribe(channel);
  }
}
