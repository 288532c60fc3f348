import type { Logger } from 'pino';
import { ExecutionProviderUnavailableError, preloadModel, type SessionPool } from '@atelier/diffusion';
import type { ModelService } from './model-service.js';

/**
 * The default model's sessions load before the first heartbeat: the farm only sees this worker
 * once it can start a default job without a multi-second session load.
 */
export async function preloadDefaultModel(pool: SessionPool, models: ModelService, modelId: string, logger: Logger): Promise<void> {
  const model = models.catalog.get(modelId);
  if (!model) return;
  try {
    const preload = await preloadModel(pool, model);
    logger.info({ model: model.id, components: preload.components.length, seconds: Number(preload.seconds.toFixed(3)) }, 'default model preloaded');
  } catch (error) {
    // A provider that cannot load is a broken deployment; a broken model folder is not this worker's fault.
    if (error instanceof ExecutionProviderUnavailableError) throw error;
    logger.error({ err: error, model: model.id }, 'default model preload failed; its first job will load it');
  }
}
