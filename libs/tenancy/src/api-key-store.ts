import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import type { Principal } from './principal.js';
import { scopeSchema, type Scope } from './scopes.js';

const storedKeySchema = z.object({
  id: z.string(),
  tenant: z.string(),
  scopes: z.array(scopeSchema),
  name: z.string(),
  hash: z.string(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  last_rotated_at: z.string().nullable(),
});
export type StoredApiKey = z.infer<typeof storedKeySchema>;
export type ApiKeyView = Omit<StoredApiKey, 'hash'>;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** `atl_<id>_<secret>`: the id finds the record, only the hash of the whole key is stored. */
function newKey(): { id: string; key: string } {
  const id = randomBytes(6).toString('hex');
  return { id, key: `atl_${id}_${randomBytes(24).toString('base64url')}` };
}

function idOf(key: string): string | undefined {
  return /^atl_([0-9a-f]{12})_[A-Za-z0-9_-]{16,}$/.exec(key)?.[1];
}

/**
 * API keys in Redis: shown once at creation, stored as SHA-256, each bound to one tenant and a set
 * of scopes; revocation is immediate because every request looks the key up.
 */
export class ApiKeyStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  recordKey(id: string): string {
    return `${this.prefix}:apikey:${id}`;
  }
  private indexKey(): string {
    return `${this.prefix}:apikeys`;
  }

  async create(input: { tenant: string; scopes: readonly Scope[]; name?: string }): Promise<{ key: string; record: ApiKeyView }> {
    const { id, key } = newKey();
    const record: StoredApiKey = {
      id,
      tenant: input.tenant,
      scopes: [...new Set(input.scopes)],
      name: input.name ?? '',
      hash: sha256(key),
      created_at: new Date().toISOString(),
      revoked_at: null,
      last_rotated_at: null,
    };
    await this.redis.multi().set(this.recordKey(id), JSON.stringify(record)).sadd(this.indexKey(), id).exec();
    return { key, record: view(record) };
  }

  /** Seeds a known key (ATELIER_BOOTSTRAP_API_KEY) idempotently, for automation. */
  async seed(key: string, tenant: string, scopes: readonly Scope[], name: string): Promise<ApiKeyView> {
    const id = `boot${sha256(key).slice(0, 8)}`;
    const existing = await this.get(id);
    if (existing && !existing.revoked_at) return existing;
    const record: StoredApiKey = {
      id,
      tenant,
      scopes: [...scopes],
      name,
      hash: sha256(key),
      created_at: new Date().toISOString(),
      revoked_at: null,
      last_rotated_at: null,
    };
    await this.redis.multi().set(this.recordKey(id), JSON.stringify(record)).sadd(this.indexKey(), id).set(`${this.prefix}:apikey-seed:${sha256(key)}`, id).exec();
    return view(record);
  }

  async authenticate(key: string): Promise<Principal | undefined> {
    const id = await this.recordIdOf(key);
    if (!id) return undefined;
    const raw = await this.redis.get(this.recordKey(id));
    return raw ? principalIfMatches(raw, key) : undefined;
  }

  /** The id of the record a presented key would match: in the key itself, or (seeded keys) looked up. */
  async recordIdOf(key: string): Promise<string | undefined> {
    return idOf(key) ?? (await this.redis.get(`${this.prefix}:apikey-seed:${sha256(key)}`)) ?? undefined;
  }

  async get(id: string): Promise<ApiKeyView | undefined> {
    const raw = await this.redis.get(this.recordKey(id));
    return raw ? view(storedKeySchema.parse(JSON.parse(raw))) : undefined;
  }

  async list(tenant?: string): Promise<ApiKeyView[]> {
    const ids = await this.redis.smembers(this.indexKey());
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.recordKey(id)));
    return values
      .flatMap((value) => (value ? [view(storedKeySchema.parse(JSON.parse(value)))] : []))
      .filter((record) => !tenant || record.tenant === tenant)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async revoke(id: string): Promise<ApiKeyView | undefined> {
    return this.update(id, (record) => ({ ...record, revoked_at: record.revoked_at ?? new Date().toISOString() }));
  }

  /** New secret for the same id, tenant and scopes; the old secret stops working at once. */
  async rotate(id: string): Promise<{ key: string; record: ApiKeyView } | undefined> {
    const fresh = `atl_${id}_${randomBytes(24).toString('base64url')}`;
    const record = await this.update(id, (stored) => (stored.revoked_at ? undefined : { ...stored, hash: sha256(fresh), last_rotated_at: new Date().toISOString() }));
    return record ? { key: fresh, record } : undefined;
  }

  private async update(id: string, change: (record: StoredApiKey) => StoredApiKey | undefined): Promise<ApiKeyView | undefined> {
    const raw = await this.redis.get(this.recordKey(id));
    if (!raw) return undefined;
    const next = change(storedKeySchema.parse(JSON.parse(raw)));
    if (!next) return undefined;
    await this.redis.set(this.recordKey(id), JSON.stringify(next));
    return view(next);
  }
}

export const hashOfKey = sha256;

/** The principal of a stored key record if `key` is its current, unrevoked secret. */
export function principalIfMatches(raw: string, key: string): Principal | undefined {
  const record = storedKeySchema.parse(JSON.parse(raw));
  const presented = Buffer.from(sha256(key), 'hex');
  if (record.revoked_at || !timingSafeEqual(presented, Buffer.from(record.hash, 'hex'))) return undefined;
  return { keyId: record.id, tenant: record.tenant, scopes: record.scopes };
}

function view(record: StoredApiKey): ApiKeyView {
  const { hash: _hash, ...rest } = record;
  return rest;
}
