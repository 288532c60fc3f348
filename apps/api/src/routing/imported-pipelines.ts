import path from 'node:path';
import { Logger } from '@nestjs/common';
import { ModelCatalog } from '@atelier/diffusion';
import { syncRemoteModels } from '@atelier/diffusion';
import { modelSummarySchema, type ModelSummary } from '@atelier/queue';
import type { ObjectStorage } from '@atelier/storage';

const REFRESH_MS = 10_000;

/**
 * Pipelines imported into object storage (MODELS_STORAGE_PREFIX), summarised by the same code a
 * worker runs (configs and tokenizers only, weights never downloaded), so they are accepted even
 * while no worker that loads them is live.
 */
export class ImportedPipelines {
  private readonly logger = new Logger('ImportedPipelines');
  private last: ModelSummary[] | undefined;
  private loadedAt = 0;
  private loading: Promise<ModelSummary[]> | undefined;

  constructor(
    private readonly storage: ObjectStorage,
    private readonly prefix: string | undefined,
    private readonly cacheDir: string,
  ) {}

  /**
   * The last listing, refreshed in the background when older than REFRESH_MS: a slow or
   * unreachable object store must not hold up job submission. Waits only for the first listing
   * and right after an import.
   */
  async summaries(): Promise<ModelSummary[]> {
    if (!this.prefix) return [];
    const stale = Date.now() - this.loadedAt > REFRESH_MS;
    if (stale && !this.loading) this.loading = this.reload(this.prefix);
    if (this.last === undefined) return (await this.loading) ?? [];
    return this.last;
  }

  /** After an import: the next call waits for a listing that includes the new pipeline. */
  async invalidate(): Promise<void> {
    if (!this.prefix) return;
    await this.loading?.catch(() => undefined);
    this.loading = this.reload(this.prefix);
    await this.loading;
  }

  private async reload(prefix: string): Promise<ModelSummary[]> {
    try {
      this.last = await this.load(prefix);
    } catch (error) {
      this.logger.warn(`imported pipelines could not be listed: ${(error as Error).message}`);
      this.last ??= [];
    } finally {
      this.loadedAt = Date.now();
      this.loading = undefined;
    }
    return this.last;
  }

  private async load(prefix: string): Promise<ModelSummary[]> {
    const log = { info: () => undefined, warn: (message: string) => this.logger.warn(message) };
    const folders = await syncRemoteModels(this.storage, prefix, this.cacheDir, log, { lazyWeights: true });
    const catalog = await ModelCatalog.scan(path.join(this.cacheDir, '.no-local-models'), folders);
    return catalog.list().map((model) => modelSummarySchema.parse(model.summary()));
  }
}
