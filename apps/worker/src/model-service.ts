import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { adapterCacheRoot, locateOnnxModel, type LocatedOnnxModel, type OnnxModelDirs, type OnnxModelKind } from '@atelier/registry';
import type { Logger } from 'pino';
import { DirectoryAdapterLibrary, ModelCatalog, syncRemoteModels, type AdapterLibrary, type LoadedModel } from '@atelier/diffusion';
import type { ObjectStorage } from '@atelier/storage';
import { ensureDemoModels } from '@atelier/demo-model';

interface RemoteModels {
  readonly storage: ObjectStorage;
  readonly prefix: string;
}

/**
 * The models this worker serves: MODELS_DIR exports, models kept in object storage (downloaded
 * once, verified, picked up again by `refresh` when new ones are imported), and the built-in demo
 * models.
 */
export class ModelService {
  private current: ModelCatalog;
  private readonly tenantAdapters = new Map<string, AdapterLibrary>();

  private constructor(
    catalog: ModelCatalog,
    readonly adapters: AdapterLibrary,
    private readonly modelsDir: string,
    private readonly cacheDir: string,
    private readonly demos: ReadonlyArray<{ id: string; dir: string }>,
    private readonly logger: Logger,
    private readonly remote?: RemoteModels,
  ) {
    this.current = catalog;
  }

  /**
   * The adapters a job of `tenant` may use, by name: the tenant's own private ones first, then the
   * public ones (this worker's folders and the registry's). Other tenants' private files never.
   */
  adaptersFor(tenant: string): AdapterLibrary {
    let library = this.tenantAdapters.get(tenant);
    if (!library) {
      const own = adapterCacheRoot(path.join(this.cacheDir, 'registry'), { visibility: 'private', tenant });
      library = new DirectoryAdapterLibrary([own, this.modelsDir, adapterCacheRoot(path.join(this.cacheDir, 'registry'), { visibility: 'public', tenant })]);
      this.tenantAdapters.set(tenant, library);
    }
    return library;
  }

  /** Private LoRAs in the cache as `<tenant>/<name>`, for the heartbeat (the API checks names per tenant). */
  async privateLoraNames(): Promise<string[]> {
    const tenantsDir = path.join(this.cacheDir, 'registry', 'tenants');
    const names: string[] = [];
    for (const tenant of await readdir(tenantsDir).catch(() => [])) {
      for (const file of await readdir(path.join(tenantsDir, tenant, 'loras')).catch(() => [])) {
        if (file.endsWith('.safetensors')) names.push(`${tenant}/${file.slice(0, -'.safetensors'.length)}`);
      }
    }
    return names.sort();
  }

  /** Where ONNX models (ControlNets, preprocessors, upscalers…) are found: the registry cache and MODELS_DIR. */
  get onnxModelDirs(): OnnxModelDirs {
    return { cacheDir: path.join(this.cacheDir, 'registry'), modelsDir: this.modelsDir };
  }

  /**
   * An ONNX model for a job of `tenant`: its own private registry model, then a public one, then
   * MODELS_DIR/<kind>s/<name>/ (see locateOnnxModel). Undefined when this worker has none.
   */
  locateOnnx(kind: OnnxModelKind, name: string, tenant: string): Promise<LocatedOnnxModel | undefined> {
    return locateOnnxModel(kind, name, tenant, this.onnxModelDirs);
  }

  get remoteDir(): string {
    return path.join(this.cacheDir, 'remote');
  }

  get catalog(): ModelCatalog {
    return this.current;
  }

  static async start(modelsDir: string, cacheDir: string, logger: Logger, remote?: RemoteModels): Promise<ModelService> {
    const demos = await ensureDemoModels(path.join(cacheDir, 'builtin'));
    // MODELS_DIR/loras and /embeddings, then public LoRAs downloaded from the registry.
    const adapters = new DirectoryAdapterLibrary([modelsDir, adapterCacheRoot(path.join(cacheDir, 'registry'), { visibility: 'public', tenant: '' })]);
    const service = new ModelService(await ModelCatalog.scan(modelsDir, demos), adapters, modelsDir, cacheDir, demos, logger, remote);
    await service.refresh(true);
    return service;
  }

  /**
   * The model for a job. One this worker does not know yet may have been imported into object
   * storage since the last refresh (the API accepts imported pipelines at once): sync, then look again.
   */
  async find(id: string): Promise<LoadedModel | undefined> {
    const known = this.current.get(id);
    if (known || !this.remote) return known;
    // A sync already in flight (a heartbeat's) may have listed storage before this model was
    // imported: let it finish, then sync again, so the listing is newer than the job.
    await this.refreshing?.catch(() => undefined);
    await this.refresh();
    return this.current.get(id);
  }

  private refreshing: Promise<boolean> | undefined;

  /** Syncs remote models and rescans; returns whether the set of served models changed. One sync at a time. */
  refresh(log = false): Promise<boolean> {
    this.refreshing ??= this.sync(log).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async sync(log: boolean): Promise<boolean> {
    const remoteModels = this.remote
      ? await syncRemoteModels(
          this.remote.storage,
          this.remote.prefix,
          this.remoteDir,
          { info: (message) => this.logger.info(message), warn: (message) => this.logger.warn(message) },
          // Configs and tokenizers now; weights when a job first needs them (RemoteWeights).
          { lazyWeights: true },
        )
      : [];
    const before = this.current.list().map((model) => model.id).join(',');
    const catalog = await ModelCatalog.scan(this.modelsDir, [...this.demos, ...remoteModels]);
    const changed = catalog.list().map((model) => model.id).join(',') !== before;
    if (changed || log) {
      for (const problem of catalog.problems) this.logger.warn({ dir: problem.dir }, `model folder skipped: ${problem.reason}`);
      this.logger.info({ models: catalog.list().map((model) => `${model.id} (${model.family})`) }, 'models available');
    }
    this.current = catalog;
    return changed;
  }
}
