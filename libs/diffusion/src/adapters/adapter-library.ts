import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface AdapterFile {
  readonly name: string;
  readonly path: string;
  /** Identifies the file's content version for caching (path, size, mtime). */
  readonly id: string;
  readonly bytes: number;
}

/** Where LoRAs and textual-inversion embeddings come from, by the names prompts use. */
export interface AdapterLibrary {
  lora(name: string): Promise<AdapterFile | undefined>;
  embeddings(): Promise<readonly AdapterFile[]>;
  loraNames(): Promise<string[]>;
}

async function scan(dir: string): Promise<AdapterFile[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: AdapterFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.safetensors')) continue;
    const file = path.join(dir, entry.name);
    const info = await stat(file);
    const id = createHash('sha256').update(`${file}\n${info.size}\n${info.mtimeMs}`).digest('hex').slice(0, 16);
    files.push({ name: entry.name.slice(0, -'.safetensors'.length), path: file, id, bytes: info.size });
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `loras/NAME.safetensors` and `embeddings/NAME.safetensors` under one or more roots (MODELS_DIR,
 * the registry cache), rescanned at most every few seconds so new files are picked up without a
 * restart. Earlier roots win on name clashes.
 */
export class DirectoryAdapterLibrary implements AdapterLibrary {
  private cache: { at: number; loras: Map<string, AdapterFile>; embeddings: AdapterFile[] } | undefined;

  constructor(
    private readonly roots: readonly string[],
    private readonly rescanMs = 2_000,
  ) {}

  private async current(): Promise<NonNullable<DirectoryAdapterLibrary['cache']>> {
    if (this.cache && Date.now() - this.cache.at < this.rescanMs) return this.cache;
    const loras = new Map<string, AdapterFile>();
    const embeddings = new Map<string, AdapterFile>();
    for (const root of this.roots) {
      for (const file of await scan(path.join(root, 'loras'))) if (!loras.has(file.name)) loras.set(file.name, file);
      for (const file of await scan(path.join(root, 'embeddings'))) if (!embeddings.has(file.name)) embeddings.set(file.name, file);
    }
    this.cache = { at: Date.now(), loras, embeddings: [...embeddings.values()] };
    return this.cache;
  }

  async lora(name: string): Promise<AdapterFile | undefined> {
    return (await this.current()).loras.get(name);
  }

  async loraNames(): Promise<string[]> {
    return [...(await this.current()).loras.keys()];
  }

  async embeddings(): Promise<readonly AdapterFile[]> {
    return (await this.current()).embeddings;
  }
}
