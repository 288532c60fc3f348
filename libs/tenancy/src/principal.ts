import type { Scope } from './scopes.js';

/** Who is calling: the tenant that owns what they create, and what they may do. */
export interface Principal {
  readonly keyId: string;
  readonly tenant: string;
  readonly scopes: readonly Scope[];
}

export const LOCAL_TENANT = 'local';
