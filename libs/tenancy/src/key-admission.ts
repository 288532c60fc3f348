import type { Cluster, Redis } from 'ioredis';
import { ApiKeyStore, hashOfKey, principalIfMatches } from './api-key-store.js';
import { KEY_ADMISSION_SCRIPT } from './key-admission.lua.js';
import { TenantLimitsStore, type RateDecision } from './limits-store.js';
import type { Principal } from './principal.js';
import { Scope } from './scopes.js';
import type { TenantLimits } from './tenant-limits.js';

export type Admission =
  | { readonly kind: 'refused' }
  | { readonly kind: 'forbidden'; readonly principal: Principal }
  | { readonly kind: 'counted'; readonly principal: Principal; readonly limits: TenantLimits; readonly rate: RateDecision };

interface AdmissionRunner {
  atelierAdmitKey(record: string, rate: string, hash: string, scope: string, adminScope: string, tenantPrefix: string): Promise<[0] | [1, string] | [2, string, string, number]>;
}

/**
 * A presented key checked against its record, its scope and its rate limit in one Redis round
 * trip (see KEY_ADMISSION_SCRIPT). The script decides only what to count; the principal still
 * comes from the record validated here with a constant-time hash comparison.
 */
export class KeyAdmission {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: ApiKeyStore,
    private readonly limits: TenantLimitsStore,
  ) {
    this.redis.defineCommand('atelierAdmitKey', { numberOfKeys: 2, lua: KEY_ADMISSION_SCRIPT });
  }

  async admit(key: string, scope: Scope, now = Date.now()): Promise<Admission> {
    const id = await this.keys.recordIdOf(key);
    if (!id) return { kind: 'refused' };
    const runner = this.redis as unknown as AdmissionRunner;
    const result = await runner.atelierAdmitKey(this.keys.recordKey(id), this.limits.rateKey(id, now), hashOfKey(key), scope, Scope.Admin, this.limits.tenantKeyPrefix());
    if (result[0] === 0) return { kind: 'refused' };
    const principal = principalIfMatches(result[1], key);
    if (!principal) return { kind: 'refused' };
    if (result[0] === 1) return { kind: 'forbidden', principal };
    const limits = this.limits.limitsFrom(result[2] || null);
    return { kind: 'counted', principal, limits, rate: this.limits.rateDecision(result[3], limits.requests_per_minute, now) };
  }
}
