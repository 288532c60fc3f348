import { constants, createReadStream } from 'node:fs';
import { access, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeStreamAtomic } from './atomic-write.js';
import { assertValidContentType, DEFAULT_CONTENT_TYPE } from './content-type.js';
import { LOCAL_FILES_PATH, signLocalObject } from './local-signature.js';
import { assertValidKeyPrefix, assertValidObjectKey } from './object-key.js';
import type { ObjectStorage } from './object-storage.js';
import { assertValidPresignExpiry } from './presign-expiry.js';
import { InvalidKeyError, ObjectNotFoundError, StorageUnavailableError } from './storage-errors.js';

export interface LocalStorageOptions {
  /** Directory owned by this storage; created on demand. */
  readonly root: string;
  /** Where clients reach the API's file route, e.g. `http://localhost:3000` (no `/files`). */
  readonly publicBaseUrl: string;
  /** HMAC key for presigned URLs; the API's file route must verify with the same one. */
  readonly signingSecret: string;
}

export interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string;
}

const MIN_SIGNING_SECRET_LENGTH = 16;

/**
 * Objects on the local filesystem, for single-machine deployments and development.
 *
 * Layout under `root`:
 *   objects/<key>          the bytes, exactly as put
 *   meta/<key>             `{ "contentType": ... }` sidecar. A tree mirroring `objects/` rather than
 *                          `<key>.json` files beside the objects, so a sidecar can never collide
 *                          with another key and `list` never has to filter sidecars out
 *   tmp/                   scratch files for atomic writes (same filesystem, so rename is atomic)
 *
 * A put writes the sidecar first and the object last, so once an object is visible its content
 * type is too. As on any directory tree, a key cannot also be a prefix of other keys
 * (`a` and `a/b`); such a put fails with InvalidKeyError.
 */
export class LocalStorage implements ObjectStorage {
  private readonly root: string;
  private readonly publicBaseUrl: string;
  private readonly signingSecret: string;

  constructor(options: LocalStorageOptions) {
    this.root = resolve(options.root);
    this.publicBaseUrl = parsePublicBaseUrl(options.publicBaseUrl);
    if (options.signingSecret.length < MIN_SIGNING_SECRET_LENGTH) {
      throw new RangeError(`LocalStorage signingSecret must be at least ${MIN_SIGNING_SECRET_LENGTH} characters`);
    }
    this.signingSecret = options.signingSecret;
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.write(key, async (writeSidecar) => {
      await writeSidecar();
      await writeFileAtomic(this.scratchDir, this.objectPath(key), body);
    }, contentType);
  }

  /** The bytes go to a scratch file first; the sidecar is written only once they all arrived. */
  async putStream(key: string, body: NodeJS.ReadableStream, contentType: string): Promise<void> {
    await this.write(key, (writeSidecar) => writeStreamAtomic(this.scratchDir, this.objectPath(key), body, writeSidecar), contentType);
  }

  private async write(key: string, writeObject: (writeSidecar: () => Promise<void>) => Promise<void>, contentType: string): Promise<void> {
    assertValidObjectKey(key);
    assertValidContentType(contentType);
    // Outside the try: a broken root also fails with ENOTDIR, and that is not the key's fault.
    await mkdir(this.scratchDir, { recursive: true });
    try {
      await writeObject(() => writeFileAtomic(this.scratchDir, this.metadataPath(key), JSON.stringify({ contentType })));
    } catch (error) {
      if (isFsError(error, 'ENOTDIR', 'EISDIR', 'EEXIST')) {
        // The object cannot exist at this path, so the sidecar just written belongs to nothing.
        await rm(this.metadataPath(key), { force: true }).catch(() => undefined);
        throw new InvalidKeyError(key, 'conflicts with an existing key used as a directory (or the reverse)');
      }
      throw error;
    }
  }

  async get(key: string): Promise<Buffer> {
    assertValidObjectKey(key);
    try {
      return await readFile(this.objectPath(key));
    } catch (error) {
      if (isFsError(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw new ObjectNotFoundError(key, { cause: error });
      throw error;
    }
  }

  async openReadStream(key: string): Promise<NodeJS.ReadableStream> {
    assertValidObjectKey(key);
    const file = this.objectPath(key);
    try {
      await access(file, constants.R_OK);
    } catch (error) {
      if (isFsError(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw new ObjectNotFoundError(key, { cause: error });
      throw error;
    }
    return createReadStream(file);
  }

  /** The object and the content type it was stored with; for the API's file-serving route. */
  async read(key: string): Promise<StoredObject> {
    const body = await this.get(key);
    return { body, contentType: await this.readContentType(key) };
  }

  async exists(key: string): Promise<boolean> {
    assertValidObjectKey(key);
    try {
      return (await stat(this.objectPath(key))).isFile();
    } catch (error) {
      if (isFsError(error, 'ENOENT', 'ENOTDIR')) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidObjectKey(key);
    if (!(await this.exists(key))) return;
    // Object first: a crash in between leaves an orphan sidecar, never an object without one.
    await rm(this.objectPath(key), { force: true });
    await rm(this.metadataPath(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    assertValidKeyPrefix(prefix);
    // Only walk the deepest directory the prefix fully names, then filter on the partial rest.
    const directoryPart = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const keys: string[] = [];
    await this.collectKeys(directoryPart, keys);
    return keys.filter((key) => key.startsWith(prefix)).sort();
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    assertValidObjectKey(key);
    assertValidPresignExpiry(expiresInSeconds);
    const expires = Math.floor(Date.now() / 1000) + expiresInSeconds;
    const signature = signLocalObject(key, expires, this.signingSecret);
    const path = key.split('/').map(encodeURIComponent).join('/');
    return `${this.publicBaseUrl}${LOCAL_FILES_PATH}${path}?expires=${expires}&signature=${signature}`;
  }

  /** Signed like GET URLs but over `put:<key>`, so a download URL can never be used to upload. */
  async presignPut(key: string, contentType: string, expiresInSeconds: number): Promise<string> {
    assertValidObjectKey(key);
    assertValidContentType(contentType);
    assertValidPresignExpiry(expiresInSeconds);
    const expires = Math.floor(Date.now() / 1000) + expiresInSeconds;
    const signature = signLocalObject(`put:${key}`, expires, this.signingSecret);
    const path = key.split('/').map(encodeURIComponent).join('/');
    return `${this.publicBaseUrl}${LOCAL_FILES_PATH}${path}?expires=${expires}&signature=${signature}`;
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.objectsDir, { recursive: true });
      await mkdir(this.metadataDir, { recursive: true });
      await mkdir(this.scratchDir, { recursive: true });
      await access(this.root, constants.R_OK | constants.W_OK);
    } catch (error) {
      throw new StorageUnavailableError(this.describe(), { cause: error });
    }
  }

  describe(): string {
    return `local:${this.root}`;
  }

  private get objectsDir(): string {
    return join(this.root, 'objects');
  }

  private get metadataDir(): string {
    return join(this.root, 'meta');
  }

  private get scratchDir(): string {
    return join(this.root, 'tmp');
  }

  private objectPath(key: string): string {
    return join(this.objectsDir, ...key.split('/'));
  }

  private metadataPath(key: string): string {
    return join(this.metadataDir, ...key.split('/'));
  }

  private async readContentType(key: string): Promise<string> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.metadataPath(key), 'utf8'));
      if (isContentTypeRecord(parsed)) return parsed.contentType;
    } catch (error) {
      if (!isFsError(error, 'ENOENT') && !(error instanceof SyntaxError)) throw error;
    }
    return DEFAULT_CONTENT_TYPE;
  }

  private async collectKeys(relativeDir: string, into: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(join(this.objectsDir, ...relativeDir.split('/')), { withFileTypes: true });
    } catch (error) {
      if (isFsError(error, 'ENOENT', 'ENOTDIR')) return;
      throw error;
    }
    for (const entry of entries) {
      const key = `${relativeDir}${entry.name}`;
      if (entry.isDirectory()) await this.collectKeys(`${key}/`, into);
      else if (entry.isFile()) into.push(key);
    }
  }
}

function parsePublicBaseUrl(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`LocalStorage publicBaseUrl must be http(s), got ${value}`);
  }
  return value.replace(/\/+$/, '');
}

function isContentTypeRecord(value: unknown): value is { contentType: string } {
  return typeof value === 'object' && value !== null && typeof (value as { contentType?: unknown }).contentType === 'string';
}

function isFsError(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? '');
}
