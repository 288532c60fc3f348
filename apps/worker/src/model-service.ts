import path from 'node:path';
import type { Logger } from 'pino';
import { ModelCatalog } from '#libs/diffusion/src/index.js';
import { ensureDemoModels } from '#libs/demo-model/src/index.js';

/** The models this worker serves: MODELS_DIR exports plus the built-in demo models. */
export class ModelService {
  private constructor(readonly catalog: ModelCatalog) {}

  static async start(modelsDir: string, cacheDir: string, logger: Logger): Promise<ModelService> {
    const demos = await ensureDemoModels(path.join(cacheDir, 'builtin'));
    const catalog = await ModelCatalog.scan(modelsDir, demos);
    for (const problem of catalog.problems) logger.warn({ dir: problem.dir }, `model folder skipped: ${problem.reason}`);
    logger.info({ models: catalog.list().map((model) => `${model.id} (${model.family})`) }, 'models available');
    return new ModelService(catalog);
  }
}
