import type { Scope } from './scopes.js';

/** Who is calling: the tenant that owns what they create, and what they may do. */
export interface Principal {
  readonly keyId: string;
  readonly tenant: string;
  readonly scopes: readonly Scope[];
}

export const LOCAL_TENANT = 'local';
/** Tenant of the key seeded from ATELIER_BOOTSTRAP_API_KEY: the operator's own tenant. */
export const BOOTSTRAP_TENANT = 'default';
