import { Scope, type Principal } from '@atelier/tenancy';
import { ApiError } from './api-error.js';

/** What a client can name by id; the word appears in the 404 message. */
export type ResourceKind = 'generation' | 'batch' | 'training' | 'registered model' | 'task';

/** Kinds an admin key may act on in any tenant: operators manage the shared model registry. */
const ADMIN_ACROSS_TENANTS: ReadonlySet<ResourceKind> = new Set(['registered model']);

/**
 * The one ownership check: the record when the caller may act on it, else the same 404 as a
 * missing record, so another tenant's id is indistinguishable from one that never existed.
 */
export function requireAccess<T extends { readonly tenant: string }>(principal: Principal, record: T | undefined | null, kind: ResourceKind, id: string): T {
  if (record && (record.tenant === principal.tenant || (ADMIN_ACROSS_TENANTS.has(kind) && principal.scopes.includes(Scope.Admin)))) return record;
  throw ApiError.notFound(kind, id);
}
