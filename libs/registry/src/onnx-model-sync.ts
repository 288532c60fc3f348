import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStorage } from '@atelier/storage';
import { adapterCacheRoot } from './adapter-sync.js';
import { ONNX_MANIFEST_FILE, ONNX_MODEL_KINDS, onnxModelManifestSchema, type OnnxModelManifest } from './onnx-model-manifest.js';
import type { OnnxModelRegistry } from './onnx-model-registry.js';

/** The cache folder of one model: `<cache>/public/<kind>s/<name>/` or `<cache>/tenants/<tenant>/<kind>s/<name>/`. */
export function onnxModelCacheDir(cacheDir: string, manifest: Pick<OnnxModelManifest, 'kind' | 'name' | 'visibility' | 'tenant'>): string {
  return path.join(adapterCacheRoot(cacheDir, manifest), `${manifest.kind}s`, manifest.name);
}

/**
 * Keeps the cache's ONNX model folders equal to the registry, as syncAdapters does for LoRAs:
 * a new or changed model is downloaded file by file (streamed, each checked against the
 * manifest's sha256) into a temporary folder that replaces the old one whole; the manifest is
 * written last, so a folder with a manifest is complete. Models deleted from the registry are
 * removed; a model that fails is reported in `failed` and the others are still synced.
 */
export async function syncOnnxModels(registry: OnnxModelRegistry, storage: ObjectStorage, cacheDir: string): Promise<{ downloaded: string[]; removed: string[]; failed: string[] }> {
  const manifests = await registry.list();
  const downloaded: string[] = [];
  const removed: string[] = [];
  const failed: string[] = [];
  const wanted = new Set<string>();
  for (const manifest of manifests) {
    const target = onnxModelCacheDir(cacheDir, manifest);
    wanted.add(target);
    if (await matches(target, manifest)) continue;
    const label = manifest.visibility === 'public' ? manifest.id : `${manifest.tenant}/${manifest.id}`;
    const temp = `${target}.${process.pid}.tmp`;
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp, { recursive: true });
    try {
      for (const file of manifest.files) {
        const hash = createHash('sha256');
        const hashing = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        });
        await mkdir(path.dirname(path.join(temp, file.path)), { recursive: true });
        await pipeline(await storage.openReadStream(registry.fileKey(manifest, file)), hashing, createWriteStream(path.join(temp, file.path)));
        if (hash.digest('hex') !== file.sha256) throw new Error(`${manifest.id}/${file.path}: downloaded bytes do not match the manifest's sha256`);
      }
      await writeFile(path.join(temp, ONNX_MANIFEST_FILE), JSON.stringify(manifest, null, 2));
      await rm(target, { recursive: true, force: true });
      await rename(temp, target);
      downloaded.push(label);
    } catch (error) {
      // One bad model (bytes not matching, a storage error) must not hold back the others; a
      // verified older copy stays in place.
      failed.push(`${label}: ${(error as Error).message}`);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }
  for (const root of await cacheRoots(cacheDir)) {
    for (const kind of ONNX_MODEL_KINDS) {
      const dir = path.join(root, `${kind}s`);
      for (const name of await readdir(dir).catch(() => [])) {
        const folder = path.join(dir, name);
        if (wanted.has(folder) || name.endsWith('.tmp')) continue;
        await rm(folder, { recursive: true, force: true });
        removed.push(`${path.relative(cacheDir, root)}/${kind}:${name}`);
      }
    }
  }
  return { downloaded, removed, failed };
}

async function cacheRoots(cacheDir: string): Promise<string[]> {
  const tenants = await readdir(path.join(cacheDir, 'tenants')).catch(() => []);
  return [path.join(cacheDir, 'public'), ...tenants.map((tenant) => path.join(cacheDir, 'tenants', tenant))];
}

/** The cached folder holds this very manifest (its files were verified before it was written). */
async function matches(target: string, manifest: OnnxModelManifest): Promise<boolean> {
  try {
    const cached = onnxModelManifestSchema.parse(JSON.parse(await readFile(path.join(target, ONNX_MANIFEST_FILE), 'utf8')));
    return cached.files.length === manifest.files.length && cached.files.every((file, index) => file.path === manifest.files[index].path && file.sha256 === manifest.files[index].sha256);
  } catch {
    return false;
  }
}
