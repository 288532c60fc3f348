import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { convertCheckpointToSafetensors, inspectSafetensorsHeader, looksLikeSafetensorsStart, parseSafetensors } from '@atelier/model-formats';
import type { ObjectStorage } from '@atelier/storage';
import { adapterKeys, adapterManifestSchema, adapterPrefix, type AdapterKind, type AdapterManifest, type AdapterOwner } from './adapter-manifest.js';

export class AdapterImportError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdapterImportError';
  }
}

const TENANT_ADAPTER_KEY = /^registry\/tenants\/[^/]+\/(loras|embeddings)\/[^/]+\.json$/;

/** Pickle conversion needs the whole checkpoint in memory; LoRAs and embeddings are far smaller. */
export const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

export interface AdapterImport {
  readonly kind: AdapterKind;
  readonly name: string;
  readonly tenant: string;
  readonly visibility: 'private' | 'public';
  readonly source: string;
  readonly triggerWords?: readonly string[];
  readonly baseModel?: string | null;
  readonly licence?: string | null;
}

/**
 * LoRAs and embeddings kept in object storage with a manifest each. Files are validated before
 * they are stored: safetensors parsed and checked, pickles (.ckpt/.pt/.bin) converted by the
 * restricted reader (never executed) or refused with the reason.
 *
 * Names: private adapters are namespaced per tenant (two tenants may each hold a private `x`, and
 * neither can learn of the other's); public ones share one namespace. A tenant's own adapter is
 * found before a public one of the same name, so a private import may shadow a public name for
 * its owner only. Re-importing a name the caller owns replaces it, whichever visibility it had.
 */
export class AdapterRegistry {
  constructor(private readonly storage: ObjectStorage) {}

  /** An adapter already in memory (trainings, small imports). */
  async import(input: AdapterImport & { bytes: Uint8Array }): Promise<AdapterManifest> {
    let file: Uint8Array = input.bytes;
    let convertedFrom: AdapterManifest['converted_from'] = 'safetensors';
    if (!looksLikeSafetensorsStart(file, file.byteLength)) {
      file = convertPickle(file);
      convertedFrom = 'pickle';
    }
    let tensors: number;
    try {
      tensors = parseSafetensors(file).tensors.size;
    } catch (error) {
      throw new AdapterImportError('file', `invalid safetensors: ${(error as Error).message}`);
    }
    const body = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
    return this.store(input, { tensors, size: file.byteLength, convertedFrom, sha256: createHash('sha256').update(body).digest('hex') }, (key) => this.storage.put(key, body, 'application/octet-stream'));
  }

  /**
   * An adapter spooled to a local file (uploads, s3:// imports): a safetensors file is validated
   * from its header and size, then streamed to storage while it is hashed, never held in memory.
   */
  async importFile(input: AdapterImport & { path: string }): Promise<AdapterManifest> {
    const handle = await open(input.path, 'r');
    let tensors: number;
    let size: number;
    try {
      size = (await handle.stat()).size;
      const first = Buffer.alloc(9);
      await handle.read(first, 0, 9, 0);
      if (!looksLikeSafetensorsStart(first, size)) {
        if (size > MAX_PICKLE_BYTES) throw new AdapterImportError('file', `not a .safetensors file, and tensor checkpoints (pickles) are converted only up to ${MAX_PICKLE_BYTES} bytes`);
        return await this.import({ ...input, bytes: new Uint8Array(await readFile(input.path)) });
      }
      try {
        tensors = (await inspectSafetensorsHeader(handle, size)).tensors.length;
      } catch (error) {
        throw new AdapterImportError('file', `invalid safetensors: ${(error as Error).message}`);
      }
    } finally {
      await handle.close();
    }
    const hash = createHash('sha256');
    let sha256 = '';
    return this.store(input, { tensors, size, convertedFrom: 'safetensors', sha256: () => sha256 }, async (key) => {
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await this.storage.putStream(key, createReadStream(input.path).pipe(hashing), 'application/octet-stream');
      sha256 = hash.digest('hex');
    });
  }

  private async store(
    input: AdapterImport,
    file: { tensors: number; size: number; convertedFrom: AdapterManifest['converted_from']; sha256: string | (() => string) },
    writeFile: (key: string) => Promise<void>,
  ): Promise<AdapterManifest> {
    if (file.tensors === 0) throw new AdapterImportError('file', 'the file holds no tensors');
    if (input.visibility === 'public') {
      // Public names are one shared, listed namespace: taking another tenant's reveals nothing.
      const existing = await this.read(adapterKeys(input.kind, input.name, input).manifest);
      if (existing?.visibility === 'private') await this.moveLegacyPrivate(existing);
      else if (existing && existing.tenant !== input.tenant) throw new AdapterImportError('name', `public ${input.kind} "${input.name}" already exists`);
    }
    const keys = adapterKeys(input.kind, input.name, input);
    await writeFile(keys.file);
    const manifest: AdapterManifest = adapterManifestSchema.parse({
      id: `${input.kind}:${input.name}`,
      kind: input.kind,
      name: input.name,
      tenant: input.tenant,
      visibility: input.visibility,
      sha256: typeof file.sha256 === 'string' ? file.sha256 : file.sha256(),
      size: file.size,
      tensors: file.tensors,
      format: 'safetensors',
      converted_from: file.convertedFrom,
      trigger_words: [...(input.triggerWords ?? [])],
      base_model: input.baseModel ?? null,
      source: input.source,
      licence: input.licence ?? null,
      created_at: new Date().toISOString(),
    });
    await this.storage.put(keys.manifest, Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json');
    // The caller's copy under the other visibility is replaced by this one.
    const other: AdapterOwner = { tenant: input.tenant, visibility: input.visibility === 'public' ? 'private' : 'public' };
    const previous = await this.read(adapterKeys(input.kind, input.name, other).manifest);
    if (previous && previous.tenant === input.tenant && previous.visibility === other.visibility) await this.delete(previous);
    return manifest;
  }

  /** What `name` means to `tenant`: its own private adapter first, then a public one. */
  async resolve(kind: AdapterKind, name: string, tenant: string): Promise<AdapterManifest | undefined> {
    const own = await this.read(adapterKeys(kind, name, { visibility: 'private', tenant }).manifest);
    if (own) return own;
    const shared = await this.read(adapterKeys(kind, name, { visibility: 'public', tenant }).manifest);
    // A private manifest at the public path predates per-tenant names: see moveLegacyPrivate.
    return shared?.visibility === 'public' ? shared : undefined;
  }

  /**
   * Registries written before names were per tenant kept private adapters beside public ones;
   * such an adapter is moved under its tenant the first time it is listed (workers list every
   * heartbeat), and is never resolved for anyone from the old place.
   */
  private async moveLegacyPrivate(manifest: AdapterManifest): Promise<AdapterManifest> {
    const from = adapterKeys(manifest.kind, manifest.name, { visibility: 'public', tenant: '' });
    const to = adapterKeys(manifest.kind, manifest.name, manifest);
    await this.storage.putStream(to.file, await this.storage.openReadStream(from.file), 'application/octet-stream');
    await this.storage.put(to.manifest, Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json');
    await this.storage.delete(from.manifest);
    await this.storage.delete(from.file);
    return manifest;
  }


  /** Every adapter of every tenant; workers sync them all, callers filter by visibility. */
  async list(kind?: AdapterKind): Promise<AdapterManifest[]> {
    const kinds: AdapterKind[] = kind ? [kind] : ['lora', 'embedding'];
    const keys = [...(await this.storage.list('registry/tenants/')), ...(await Promise.all(kinds.map((each) => this.storage.list(adapterPrefix(each, { visibility: 'public', tenant: '' }))))).flat()];
    const manifests: AdapterManifest[] = [];
    for (const key of keys) {
      // Tenant folders also hold other kinds (ONNX models' manifest.json and config.json).
      if (!key.endsWith('.json') || (key.startsWith('registry/tenants/') && !TENANT_ADAPTER_KEY.test(key))) continue;
      const manifest = await this.read(key);
      if (!manifest || !kinds.includes(manifest.kind)) continue;
      if (key !== adapterKeys(manifest.kind, manifest.name, manifest).manifest) {
        if (manifest.visibility === 'private' && key === adapterKeys(manifest.kind, manifest.name, { visibility: 'public', tenant: '' }).manifest) manifests.push(await this.moveLegacyPrivate(manifest));
        continue;
      }
      manifests.push(manifest);
    }
    return manifests.sort((a, b) => a.id.localeCompare(b.id) || a.tenant.localeCompare(b.tenant));
  }

  async delete(manifest: AdapterManifest): Promise<void> {
    const keys = adapterKeys(manifest.kind, manifest.name, manifest);
    await this.storage.delete(keys.manifest);
    await this.storage.delete(keys.file);
  }

  private async read(key: string): Promise<AdapterManifest | undefined> {
    if (!(await this.storage.exists(key))) return undefined;
    return adapterManifestSchema.parse(JSON.parse((await this.storage.get(key)).toString('utf8')));
  }
}

function convertPickle(bytes: Uint8Array): Uint8Array {
  try {
    return convertCheckpointToSafetensors(bytes);
  } catch (error) {
    throw new AdapterImportError('file', `not a usable .safetensors or tensor checkpoint: ${(error as Error).message}`);
  }
}
