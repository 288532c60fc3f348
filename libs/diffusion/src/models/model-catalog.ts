import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { LoadedModel } from './loaded-model.js';
import { readModelFolder } from './model-folder.js';

export interface CatalogProblem {
  readonly dir: string;
  readonly reason: string;
}

/**
 * The models one worker serves: every export folder under MODELS_DIR (id = folder name) plus any
 * folders the process adds (the built-in demo models). A broken folder is reported, not fatal.
 */
export class ModelCatalog {
  private constructor(
    private readonly models: Map<string, LoadedModel>,
    readonly problems: readonly CatalogProblem[],
  ) {}

  static async scan(modelsDir: string, extraFolders: ReadonlyArray<{ id: string; dir: string }> = []): Promise<ModelCatalog> {
    const candidates: Array<{ id: string; dir: string }> = [...extraFolders];
    const entries = await readdir(modelsDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith('.')) candidates.push({ id: entry.name, dir: path.join(modelsDir, entry.name) });
    }
    const models = new Map<string, LoadedModel>();
    const problems: CatalogProblem[] = [];
    for (const candidate of candidates) {
      if (models.has(candidate.id)) continue;
      try {
        models.set(candidate.id, await LoadedModel.open(await readModelFolder(candidate.dir, candidate.id)));
      } catch (error) {
        problems.push({ dir: candidate.dir, reason: (error as Error).message });
      }
    }
    return new ModelCatalog(models, problems);
  }

  get(id: string): LoadedModel | undefined {
    return this.models.get(id);
  }

  list(): LoadedModel[] {
    return [...this.models.values()];
  }
}
