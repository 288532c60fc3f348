import type { Queue } from 'bullmq';
import type { RedisClient, RedisKeys } from '@atelier/queue';
import { parseOutboxEntry } from './outbox-entry.js';
import type { OutboxWebhooks, WebhookJobToAdd } from './outbox-webhooks.js';

const BATCH = 100;
const BLOCK_MS = 2_000;
const BACKOFF_MS = 500;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Moves outbox entries (written atomically with each transition) into the webhook delivery queue.
 * Enqueue first, acknowledge (XDEL) after: a crash in between only means the entry is drained
 * again, and its jobs carry the same ids, so BullMQ keeps one job per message. Any number of API
 * processes may drain at once for the same reason. An entry whose jobs cannot be built yet (e.g.
 * storage down for a base64 body) stays in the stream and is tried again.
 */
export class OutboxDrainer {
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    /** A connection of its own: XREAD BLOCK holds it. */
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly queue: Queue,
    private readonly webhooks: OutboxWebhooks,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Drains what is there (waiting up to `blockMs` for something); returns the entries acknowledged. */
  async drainOnce(blockMs = BLOCK_MS): Promise<{ acknowledged: number; pending: number }> {
    const reply = (await this.redis.xread('COUNT', BATCH, 'BLOCK', blockMs, 'STREAMS', this.keys.outbox(), '0-0')) as Array<[string, Array<[string, string[]]>]> | null;
    const entries = reply?.[0]?.[1] ?? [];
    const done: string[] = [];
    const jobs: WebhookJobToAdd[] = [];
    for (const [streamId, fields] of entries) {
      const entry = parseOutboxEntry(fields);
      if (!entry) {
        // Written by no version of the transition scripts: keeping it would only block the stream.
        this.onError(new Error(`outbox entry ${streamId} is malformed; dropped`));
        done.push(streamId);
        continue;
      }
      try {
        jobs.push(...(await this.webhooks.jobsFor(entry)));
        done.push(streamId);
      } catch (error) {
        this.onError(new Error(`outbox entry ${streamId} (${entry.event} ${entry.subject}) not drained yet: ${(error as Error).message}`));
      }
    }
    if (jobs.length > 0) await this.queue.addBulk(jobs.map((job) => ({ name: job.name, data: job.data, opts: { jobId: job.opts.jobId } })));
    if (done.length > 0) await this.redis.xdel(this.keys.outbox(), ...done);
    return { acknowledged: done.length, pending: entries.length - done.length };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          const { acknowledged, pending } = await this.drainOnce();
          if (acknowledged === 0 && pending > 0) await sleep(BACKOFF_MS);
        } catch (error) {
          if (!this.running) break;
          this.onError(error as Error);
          await sleep(BACKOFF_MS);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    // Ends a pending XREAD BLOCK at once.
    this.redis.disconnect();
    await this.loop;
  }
}
