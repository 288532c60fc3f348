import type { Cluster, Redis } from 'ioredis';

/** What deliveries of one tenant are signed with: the current secret, and during a rotation's overlap the previous one. */
export interface WebhookSigningSecrets {
  readonly current: string;
  readonly previous?: { readonly secret: string; readonly expiresAt: Date };
}

export interface RotatedWebhookSecret {
  readonly secret: string;
  /** When the previous secret stops signing; null when it was revoked at once (overlap 0). */
  readonly previousExpiresAt: Date | null;
}

export interface WebhookSecretStoreOptions {
  /** A fresh random secret (`whsec_…`). */
  readonly generate: () => string;
  /** The secret a tenant starts with instead of a random one (the farm's own tenant keeps WEBHOOK_SECRET). */
  readonly initialSecret?: (tenant: string) => string | undefined;
  readonly now?: () => number;
}

/**
 * Creates the tenant's secret unless it exists (HSETNX: whoever comes first wins, every caller
 * then reads the same one), forgets an expired previous secret, and returns what signs now.
 * KEYS[1] the tenant's hash; ARGV[1] candidate secret, ARGV[2] now (ms).
 */
const CURRENT_SCRIPT = `
if redis.call('HSETNX', KEYS[1], 'current', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'created_at', ARGV[2])
end
local expires = tonumber(redis.call('HGET', KEYS[1], 'previous_expires_at') or '')
if expires and expires <= tonumber(ARGV[2]) then
  redis.call('HDEL', KEYS[1], 'previous', 'previous_expires_at')
end
return redis.call('HMGET', KEYS[1], 'current', 'previous', 'previous_expires_at')
`;

/**
 * Makes the new secret current; the old one (or the initial one, if the tenant never used its
 * secret) signs alongside until now + overlap, or is dropped at once when overlap is 0.
 * KEYS[1] the tenant's hash; ARGV[1] new secret, ARGV[2] now (ms), ARGV[3] overlap (ms), ARGV[4] initial secret or "".
 */
const ROTATE_SCRIPT = `
local old = redis.call('HGET', KEYS[1], 'current')
if not old and ARGV[4] ~= '' then old = ARGV[4] end
local overlap = tonumber(ARGV[3])
if old and overlap > 0 then
  redis.call('HSET', KEYS[1], 'previous', old, 'previous_expires_at', tonumber(ARGV[2]) + overlap)
else
  redis.call('HDEL', KEYS[1], 'previous', 'previous_expires_at')
end
redis.call('HSET', KEYS[1], 'current', ARGV[1], 'rotated_at', ARGV[2])
redis.call('HSETNX', KEYS[1], 'created_at', ARGV[2])
return redis.call('HGET', KEYS[1], 'previous_expires_at')
`;

/**
 * One webhook signing secret per tenant, in a Redis hash per tenant (current, previous and the
 * previous one's expiry). Created on first use; rotation keeps the previous secret signing for an
 * overlap window so receivers can switch without dropping deliveries. The previous secret is
 * never returned once expired, and removed at the next read.
 */
export class WebhookSecretStore {
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly options: WebhookSecretStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  private key(tenant: string): string {
    return `${this.prefix}:tenant:${tenant}:webhook-secret`;
  }

  /** The tenant's signing secrets, creating the current one on first use. */
  async secretsFor(tenant: string): Promise<WebhookSigningSecrets> {
    const candidate = this.options.initialSecret?.(tenant) ?? this.options.generate();
    const now = this.now();
    const [current, previous, expiresAt] = (await this.redis.eval(CURRENT_SCRIPT, 1, this.key(tenant), candidate, now)) as [string, string | null, string | null];
    const expiry = Number(expiresAt);
    // Checked again here: the script compared against the same `now`, this guards a clock that moved on.
    if (previous === null || expiresAt === null || !(expiry > now)) return { current };
    return { current, previous: { secret: previous, expiresAt: new Date(expiry) } };
  }

  async rotate(tenant: string, overlapSeconds: number): Promise<RotatedWebhookSecret> {
    if (!Number.isSafeInteger(overlapSeconds) || overlapSeconds < 0) throw new RangeError(`overlap must be whole seconds >= 0, got ${overlapSeconds}`);
    const secret = this.options.generate();
    const expiresAt = (await this.redis.eval(ROTATE_SCRIPT, 1, this.key(tenant), secret, this.now(), overlapSeconds * 1000, this.options.initialSecret?.(tenant) ?? '')) as string | null;
    return { secret, previousExpiresAt: expiresAt === null ? null : new Date(Number(expiresAt)) };
  }
}
