import path from 'node:path';
import type { Logger } from 'pino';
import { DirectoryAdapterLibrary, ModelCatalog, syncRemoteModels, type AdapterLibrary } from '#libs/diffusion/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import { ensureDemoModels } from '#libs/demo-model/src/index.js';

/** The models this worker serves: MODELS_DIR exports, models kept in object storage, and the built-in demo models. */
export class ModelService {
  private constructor(
    readonly catalog: ModelCatalog,
    readonly adapters: AdapterLibrary,
  ) {}

  static async start(modelsDir: string, cacheDir: string, logger: Logger, remote?: { storage: ObjectStorage; prefix: string }): Promise<ModelService> {
    const demos = await ensureDemoModels(path.join(cacheDir, 'builtin'));
    const remoteModels = remote
      ? await syncRemoteModels(remote.storage, remote.prefix, path.join(cacheDir, 'remote'), {
          info: (message) => logger.info(message),
          warn: (message) => logger.warn(message),
        })
      : [];
    const catalog = await ModelCatalog.scan(modelsDir, [...demos, ...remoteModels]);
    for (const problem of catalog.problems) logger.warn({ dir: problem.dir }, `model folder skipped: ${problem.reason}`);
    logger.info({ models: catalog.list().map((model) => `${model.id} (${model.family})`) }, 'models available');
    // MODELS_DIR/loras and /embeddings, then LoRAs downloaded from the registry.
    return new ModelService(catalog, new DirectoryAdapterLibrary([modelsDir, path.join(cacheDir, 'registry')]));
  }
}
