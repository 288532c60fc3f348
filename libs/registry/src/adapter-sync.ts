import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import type { AdapterManifest } from './adapter-manifest.js';
import { adapterKeys } from './adapter-manifest.js';
import type { AdapterRegistry } from './adapter-registry.js';

/**
 * Keeps `cacheDir/{loras,embeddings}/NAME.safetensors` equal to the registry: new or changed
 * files are downloaded and checked against the manifest's sha256, deleted ones removed.
 */
export async function syncAdapters(registry: AdapterRegistry, storage: ObjectStorage, cacheDir: string): Promise<{ downloaded: string[]; removed: string[] }> {
  const manifests = await registry.list();
  const downloaded: string[] = [];
  const removed: string[] = [];
  const wanted = new Set<string>();
  for (const manifest of manifests) {
    const target = path.join(cacheDir, `${manifest.kind}s`, `${manifest.name}.safetensors`);
    wanted.add(target);
    if (await matches(target, manifest)) continue;
    const bytes = await storage.get(adapterKeys(manifest.kind, manifest.name).file);
    if (createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) throw new Error(`${manifest.id}: downloaded bytes do not match the manifest's sha256`);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, target);
    await writeFile(`${target}.sha256`, manifest.sha256);
    downloaded.push(manifest.id);
  }
  for (const kind of ['loras', 'embeddings']) {
    const dir = path.join(cacheDir, kind);
    for (const name of await readdir(dir).catch(() => [])) {
      const file = path.join(dir, name);
      if (name.endsWith('.safetensors') && !wanted.has(file)) {
        await rm(file, { force: true });
        await rm(`${file}.sha256`, { force: true });
        removed.push(`${kind.slice(0, -1)}:${name.slice(0, -'.safetensors'.length)}`);
      }
    }
  }
  return { downloaded, removed };
}

async function matches(target: string, manifest: AdapterManifest): Promise<boolean> {
  try {
    return (await readFile(`${target}.sha256`, 'utf8')).trim() === manifest.sha256;
  } catch {
    return false;
  }
}
