import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStorage } from '@atelier/storage';
import { InvalidModelError } from './model-folder.js';
import { REMOTE_MARKER_SUFFIX, type RemoteMarker } from './remote-models.js';

/**
 * Weights of remote models, fetched the first time a job needs a component (the whole component
 * folder's weight files, verified against SHA256SUMS) and kept in a disk cache that evicts the least
 * recently used components beyond `budgetBytes` — never one whose session is loaded.
 */
export class RemoteWeights {
  private readonly lastUsed = new Map<string, number>();
  private readonly fetching = new Map<string, Promise<void>>();
  downloads = 0;
  evictions = 0;

  constructor(
    private readonly storage: ObjectStorage,
    private readonly cacheDir: string,
    private readonly budgetBytes: number,
    private readonly isLoaded: (componentDir: string) => boolean = () => false,
  ) {}

  /** Makes the component behind `modelPath` present on disk (no-op for local models). */
  async ensure(modelPath: string): Promise<void> {
    const dir = path.dirname(path.resolve(modelPath));
    this.lastUsed.set(dir, Date.now());
    const markers = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith(REMOTE_MARKER_SUFFIX));
    const missing: string[] = [];
    for (const marker of markers) {
      const target = path.join(dir, marker.slice(0, -REMOTE_MARKER_SUFFIX.length));
      if (!(await stat(target).then(() => true, () => false))) missing.push(marker);
    }
    if (missing.length === 0) return;
    let pending = this.fetching.get(dir);
    if (!pending) {
      pending = this.fetch(dir, missing).finally(() => this.fetching.delete(dir));
      this.fetching.set(dir, pending);
    }
    await pending;
    await this.evictBeyondBudget(dir);
  }

  private async fetch(dir: string, markers: readonly string[]): Promise<void> {
    for (const markerName of markers) {
      const marker = JSON.parse(await readFile(path.join(dir, markerName), 'utf8')) as RemoteMarker;
      const target = path.join(dir, markerName.slice(0, -REMOTE_MARKER_SUFFIX.length));
      const temp = `${target}.${process.pid}.part`;
      const hash = createHash('sha256');
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(await this.storage.openReadStream(marker.key), tap, createWriteStream(temp));
      const sha256 = hash.digest('hex');
      if (marker.sha256 && sha256 !== marker.sha256) {
        await rm(temp, { force: true });
        throw new InvalidModelError(dir, `${path.basename(target)}: sha256 ${sha256} does not match SHA256SUMS (${marker.sha256})`);
      }
      await rename(temp, target);
      this.downloads++;
    }
  }

  /** Bytes of fetched weights per component folder under the cache. */
  private async fetchedComponents(): Promise<Array<{ dir: string; bytes: number; files: string[] }>> {
    const components: Array<{ dir: string; bytes: number; files: string[] }> = [];
    const entries = await readdir(this.cacheDir, { recursive: true, withFileTypes: true }).catch(() => []);
    const byDir = new Map<string, string[]>();
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith(REMOTE_MARKER_SUFFIX)) continue;
      const target = path.join(entry.parentPath, entry.name.slice(0, -REMOTE_MARKER_SUFFIX.length));
      if (await stat(target).then(() => true, () => false)) byDir.set(entry.parentPath, [...(byDir.get(entry.parentPath) ?? []), target]);
    }
    for (const [dir, files] of byDir) {
      let bytes = 0;
      for (const file of files) bytes += (await stat(file)).size;
      components.push({ dir, bytes, files });
    }
    return components;
  }

  private async evictBeyondBudget(justUsed: string): Promise<void> {
    const components = await this.fetchedComponents();
    let total = components.reduce((sum, component) => sum + component.bytes, 0);
    const candidates = components
      .filter((component) => component.dir !== justUsed && !this.isLoaded(component.dir))
      .sort((a, b) => (this.lastUsed.get(a.dir) ?? 0) - (this.lastUsed.get(b.dir) ?? 0));
    for (const victim of candidates) {
      if (total <= this.budgetBytes) return;
      for (const file of victim.files) await rm(file, { force: true });
      total -= victim.bytes;
      this.evictions++;
    }
  }
}
