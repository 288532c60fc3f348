import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStorage } from '@atelier/storage';
import type { AdapterManifest, AdapterOwner } from './adapter-manifest.js';
import { adapterKeys } from './adapter-manifest.js';
import type { AdapterRegistry } from './adapter-registry.js';

/**
 * The cache folder holding an owner's adapters, laid out as an adapter library root
 * (`loras/`, `embeddings/`): `public/` for public ones, `tenants/<tenant>/` for private ones, so
 * a job of one tenant is never given another tenant's private file of the same name.
 */
export function adapterCacheRoot(cacheDir: string, owner: AdapterOwner): string {
  return owner.visibility === 'public' ? path.join(cacheDir, 'public') : path.join(cacheDir, 'tenants', owner.tenant);
}

/**
 * Keeps the cache equal to the registry: new or changed files are downloaded (streamed) and
 * checked against the manifest's sha256, deleted ones removed.
 */
export async function syncAdapters(registry: AdapterRegistry, storage: ObjectStorage, cacheDir: string): Promise<{ downloaded: string[]; removed: string[] }> {
  const manifests = await registry.list();
  const downloaded: string[] = [];
  const removed: string[] = [];
  const wanted = new Set<string>();
  for (const manifest of manifests) {
    const target = path.join(adapterCacheRoot(cacheDir, manifest), `${manifest.kind}s`, `${manifest.name}.safetensors`);
    wanted.add(target);
    if (await matches(target, manifest)) continue;
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.tmp`;
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(await storage.openReadStream(adapterKeys(manifest.kind, manifest.name, manifest).file), hashing, createWriteStream(temp));
      if (hash.digest('hex') !== manifest.sha256) throw new Error(`${manifest.id}: downloaded bytes do not match the manifest's sha256`);
      await rename(temp, target);
    } finally {
      await rm(temp, { force: true });
    }
    await writeFile(`${target}.sha256`, manifest.sha256);
    downloaded.push(manifest.visibility === 'public' ? manifest.id : `${manifest.tenant}/${manifest.id}`);
  }
  for (const root of await cacheRoots(cacheDir)) {
    for (const kind of ['loras', 'embeddings']) {
      const dir = path.join(root, kind);
      for (const name of await readdir(dir).catch(() => [])) {
        const file = path.join(dir, name);
        if (name.endsWith('.safetensors') && !wanted.has(file)) {
          await rm(file, { force: true });
          await rm(`${file}.sha256`, { force: true });
          removed.push(`${path.relative(cacheDir, root)}/${kind.slice(0, -1)}:${name.slice(0, -'.safetensors'.length)}`);
        }
      }
    }
  }
  return { downloaded, removed };
}

async function cacheRoots(cacheDir: string): Promise<string[]> {
  const tenants = await readdir(path.join(cacheDir, 'tenants')).catch(() => []);
  return [path.join(cacheDir, 'public'), ...tenants.map((tenant) => path.join(cacheDir, 'tenants', tenant))];
}

async function matches(target: string, manifest: AdapterManifest): Promise<boolean> {
  try {
    return (await readFile(`${target}.sha256`, 'utf8')).trim() === manifest.sha256;
  } catch {
    return false;
  }
}
