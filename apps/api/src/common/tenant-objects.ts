import { HttpStatus } from '@nestjs/common';
import { assertValidObjectKey } from '@atelier/storage';
import { Scope, type Principal } from '@atelier/tenancy';
import { ApiError, type FieldProblem } from './api-error.js';

/** Where a tenant's own objects live; presigned uploads are written here. */
export const tenantUploadPrefix = (tenant: string): string => `uploads/${tenant}/`;

/**
 * The storage key behind an `s3://<bucket>/<key>` a client referenced (a training dataset, an
 * adapter import). Tenants may name only objects under their own `uploads/<tenant>/` prefix in
 * the farm's bucket; admins any key of that bucket. Everything else is answered with the same 404
 * as a missing object, so a refusal never tells whether another tenant's object, another bucket
 * or another prefix exists.
 */
export function ownedObjectKey(uri: string, principal: Principal, farmBucket: string | undefined, field: string): string {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  const refused = (): ApiError => missingObject(uri, field);
  if (!match || !farmBucket || match[1] !== farmBucket) throw refused();
  const key = match[2] as string;
  try {
    assertValidObjectKey(key);
  } catch {
    throw refused();
  }
  if (!principal.scopes.includes(Scope.Admin) && !key.startsWith(tenantUploadPrefix(principal.tenant))) throw refused();
  return key;
}

/** The same 404 for an object that passed the ownership rule but is not there. */
export function missingObject(uri: string, field: string): ApiError {
  const detail: FieldProblem = { field, message: 'no such object for this key' };
  return new ApiError(HttpStatus.NOT_FOUND, 'not_found', `${field}: no object ${uri} is visible to this key`, [detail]);
}
