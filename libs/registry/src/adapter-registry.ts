import { createHash } from 'node:crypto';
import { convertCheckpointToSafetensors, parseSafetensors } from '#libs/model-formats/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import { adapterKeys, adapterManifestSchema, type AdapterKind, type AdapterManifest } from './adapter-manifest.js';

export class AdapterImportError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdapterImportError';
  }
}

const SAFETENSORS_HEADER_LIMIT = 100 * 1024 * 1024;

function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const headerLength = Number(Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0));
  return headerLength > 0 && headerLength < Math.min(bytes.length, SAFETENSORS_HEADER_LIMIT) && bytes[8] === 0x7b;
}

/**
 * LoRAs and embeddings kept in object storage with a manifest each. Files are validated before
 * they are stored: safetensors parsed and checked, pickles (.ckpt/.pt/.bin) converted by the
 * restricted reader (never executed) or refused with the reason.
 */
export class AdapterRegistry {
  constructor(private readonly storage: ObjectStorage) {}

  async import(input: {
    kind: AdapterKind;
    name: string;
    tenant: string;
    visibility: 'private' | 'public';
    bytes: Uint8Array;
    source: string;
    triggerWords?: readonly string[];
    baseModel?: string | null;
    licence?: string | null;
  }): Promise<AdapterManifest> {
    let file: Uint8Array = input.bytes;
    let convertedFrom: AdapterManifest['converted_from'] = 'safetensors';
    if (!looksLikeSafetensors(file)) {
      try {
        file = convertCheckpointToSafetensors(file);
        convertedFrom = 'pickle';
      } catch (error) {
        throw new AdapterImportError('file', `not a usable .safetensors or tensor checkpoint: ${(error as Error).message}`);
      }
    }
    let tensors: number;
    try {
      tensors = parseSafetensors(file).tensors.size;
    } catch (error) {
      throw new AdapterImportError('file', `invalid safetensors: ${(error as Error).message}`);
    }
    if (tensors === 0) throw new AdapterImportError('file', 'the file holds no tensors');
    const keys = adapterKeys(input.kind, input.name);
    const existing = await this.get(input.kind, input.name);
    if (existing && existing.tenant !== input.tenant) throw new AdapterImportError('name', `${input.kind} "${input.name}" already exists`);
    const sha256 = createHash('sha256').update(file).digest('hex');
    const manifest: AdapterManifest = adapterManifestSchema.parse({
      id: `${input.kind}:${input.name}`,
      kind: input.kind,
      name: input.name,
      tenant: input.tenant,
      visibility: input.visibility,
      sha256,
      size: file.length,
      tensors,
      format: 'safetensors',
      converted_from: convertedFrom,
      trigger_words: [...(input.triggerWords ?? [])],
      base_model: input.baseModel ?? null,
      source: input.source,
      licence: input.licence ?? null,
      created_at: new Date().toISOString(),
    });
    await this.storage.put(keys.file, Buffer.from(file), 'application/octet-stream');
    await this.storage.put(keys.manifest, Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json');
    return manifest;
  }

  async get(kind: AdapterKind, name: string): Promise<AdapterManifest | undefined> {
    const keys = adapterKeys(kind, name);
    if (!(await this.storage.exists(keys.manifest))) return undefined;
    return adapterManifestSchema.parse(JSON.parse((await this.storage.get(keys.manifest)).toString('utf8')));
  }

  async list(kind?: AdapterKind): Promise<AdapterManifest[]> {
    const kinds: AdapterKind[] = kind ? [kind] : ['lora', 'embedding'];
    const manifests: AdapterManifest[] = [];
    for (const each of kinds) {
      for (const key of await this.storage.list(`registry/${each}s/`)) {
        if (key.endsWith('.json')) manifests.push(adapterManifestSchema.parse(JSON.parse((await this.storage.get(key)).toString('utf8'))));
      }
    }
    return manifests.sort((a, b) => a.id.localeCompare(b.id));
  }

  async delete(kind: AdapterKind, name: string): Promise<void> {
    const keys = adapterKeys(kind, name);
    await this.storage.delete(keys.manifest);
    await this.storage.delete(keys.file);
  }
}
