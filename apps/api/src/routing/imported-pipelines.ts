import path from 'node:path';
import { Logger } from '@nestjs/common';
import { ModelCatalog } from '#libs/diffusion/src/models/model-catalog.js';
import { syncRemoteModels } from '#libs/diffusion/src/models/remote-models.js';
import { modelSummarySchema, type ModelSummary } from '#libs/queue/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';

const REFRESH_MS = 10_000;

/**
 * Pipelines imported into object storage (MODELS_STORAGE_PREFIX), summarised by the same code a
 * worker runs (configs and tokenizers only, weights never downloaded), so they are accepted even
 * while no worker that loads them is live.
 */
export class ImportedPipelines {
  private readonly logger = new Logger('ImportedPipelines');
  private cached: { at: number; summaries: Promise<ModelSummary[]> } | undefined;

  constructor(
    private readonly storage: ObjectStorage,
    private readonly prefix: string | undefined,
    private readonly cacheDir: string,
  ) {}

  async summaries(): Promise<ModelSummary[]> {
    if (!this.prefix) return [];
    const now = Date.now();
    if (!this.cached || now - this.cached.at > REFRESH_MS) {
      const summaries = this.load(this.prefix);
      this.cached = { at: now, summaries };
      summaries.catch(() => (this.cached = undefined));
    }
    return this.cached.summaries.catch((error: Error) => {
      this.logger.warn(`imported pipelines could not be listed: ${error.message}`);
      return [];
    });
  }

  /** After an import: the next call lists the new pipeline. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(prefix: string): Promise<ModelSummary[]> {
    const log = { info: () => undefined, warn: (message: string) => this.logger.warn(message) };
    const folders = await syncRemoteModels(this.storage, prefix, this.cacheDir, log, { lazyWeights: true });
    const catalog = await ModelCatalog.scan(path.join(this.cacheDir, '.no-local-models'), folders);
    return catalog.list().map((model) => modelSummarySchema.parse(model.summary()));
  }
}
