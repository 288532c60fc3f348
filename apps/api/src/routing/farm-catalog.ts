import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { WorkerRegistry, type ModelSummary, type WorkerClassRecord, type WorkerState } from '@atelier/queue';
import type { ObjectStorage } from '@atelier/storage';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';
import { ImportedPipelines } from './imported-pipelines.js';

export interface CatalogSnapshot {
  /** Every known worker class, with or without live workers. */
  readonly classes: readonly WorkerClassRecord[];
  readonly live: readonly WorkerState[];
  /** Models some known class serves, plus pipelines imported into object storage. */
  readonly models: ReadonlyMap<string, ModelSummary>;
  /** Imported pipelines: servable by any class whose workers load models from object storage. */
  readonly imported: ReadonlySet<string>;
}

/**
 * What the farm can serve, independent of how many workers run right now: the classes workers
 * announced (kept without TTL) and the registry's imported pipelines. Cached for a second: it
 * changes on heartbeats and imports, not per request.
 */
@Injectable()
export class FarmCatalog {
  private cached: { at: number; snapshot: Promise<CatalogSnapshot> } | undefined;
  readonly importedPipelines: ImportedPipelines;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(WorkerRegistry) private readonly registry: WorkerRegistry,
    @Inject(OBJECT_STORAGE) storage: ObjectStorage,
  ) {
    this.importedPipelines = new ImportedPipelines(storage, config.env.MODELS_STORAGE_PREFIX, path.join(config.modelCacheDir, 'api-catalog'));
  }

  async snapshot(): Promise<CatalogSnapshot> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > 1_000) {
      const snapshot = this.load();
      this.cached = { at: now, snapshot };
      snapshot.catch(() => (this.cached = undefined));
    }
    return this.cached.snapshot;
  }

  /** The next snapshot is read fresh (a worker may just have announced what was missing). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<CatalogSnapshot> {
    const [classes, live, announced, imported] = await Promise.all([this.registry.classes(), this.registry.liveWorkers(), this.registry.models(), this.importedPipelines.summaries()]);
    const models = new Map<string, ModelSummary>();
    const remoteCapable = classes.some((record) => record.remote_models);
    for (const model of remoteCapable ? imported : []) models.set(model.id, model);
    // What a worker announced wins over the API's own reading of the same export.
    for (const model of announced) models.set(model.id, model);
    return { classes, live, models, imported: new Set(remoteCapable ? imported.map((model) => model.id) : []) };
  }
}
