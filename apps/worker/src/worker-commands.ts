import { z } from 'zod';
import type { AppConfig } from '@atelier/config';
import { CancelChannel, createRedisConnection, type RedisClient, type RedisKeys, type WorkerRegistry } from '@atelier/queue';

const controlCommandSchema = z.object({ workerId: z.string().optional(), draining: z.boolean().optional() });

export interface WorkerCommandHandlers {
  /** A cancel request for a job (this worker may or may not run it). */
  readonly cancel: (jobId: string) => void;
  /** An operator's drain / undrain of this worker. */
  readonly setDraining: (draining: boolean) => Promise<void>;
}

/**
 * What the API tells workers over pub/sub: cancel a running job, drain or undrain one worker.
 * Each subscription needs its own connection (it enters subscriber mode); close() drops them.
 */
export class WorkerCommands {
  private constructor(private readonly connections: readonly RedisClient[]) {}

  static async listen(config: AppConfig, keys: RedisKeys, redis: RedisClient, registry: WorkerRegistry, handlers: WorkerCommandHandlers): Promise<WorkerCommands> {
    const cancels = createRedisConnection(config.redis);
    await new CancelChannel(keys, redis).listen(cancels, handlers.cancel);
    const control = createRedisConnection(config.redis);
    control.on('message', (_channel: string, message: string) => {
      const command = controlCommandSchema.safeParse(parseJson(message));
      if (command.success && command.data.workerId === config.workerId && typeof command.data.draining === 'boolean') void handlers.setDraining(command.data.draining);
    });
    await control.subscribe(registry.controlChannel());
    return new WorkerCommands([cancels, control]);
  }

  close(): void {
    for (const connection of this.connections) connection.disconnect();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
