import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { ALL_SCOPES, KeyAdmission, LOCAL_TENANT, Scope, TenantLimitsStore, presentedKeys, type Principal, type RateDecision, type TenantLimits } from '@atelier/tenancy';
import { ApiError } from '../common/api-error.js';
import type { AuthenticatedRequest } from './current-principal.decorator.js';

const LOCAL_PRINCIPAL: Principal = { keyId: 'local', tenant: LOCAL_TENANT, scopes: ALL_SCOPES };

export interface KeyRequirement {
  /** The scope the route needs (`admin` keys have every scope). */
  readonly scope: Scope;
  /** Accept HTTP basic auth (A1111 clients); otherwise only Bearer and X-API-Key. */
  readonly basic: boolean;
  /** `WWW-Authenticate` challenge sent with a 401, if the clients of the route expect one. */
  readonly challenge?: string;
}

/**
 * The one place an API key becomes a principal: a valid, unrevoked key with the scope, within its
 * key's request rate. Every guard (the global AuthGuard, the compatibility and metrics guards)
 * calls this, so no route authenticates differently. AUTH_DISABLED=true (local development only)
 * makes every request the all-scopes "local" principal.
 */
@Injectable()
export class KeyAuthenticator {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KeyAdmission) private readonly admission: KeyAdmission,
    @Inject(TenantLimitsStore) private readonly limits: TenantLimitsStore,
  ) {}

  async authorize(request: AuthenticatedRequest, response: Response, requirement: KeyRequirement): Promise<Principal> {
    const { principal, limits, rate } = this.config.env.AUTH_DISABLED ? await this.local() : await this.admit(request, response, requirement);
    if (!rate.allowed) {
      // Set here as well as by the filters: controller-level error filters differ per API flavour.
      response.setHeader('Retry-After', String(rate.retryAfterSeconds));
      throw new ApiError(HttpStatus.TOO_MANY_REQUESTS, 'rate_limited', `more than ${limits.requests_per_minute} requests per minute for this key; retry in ${rate.retryAfterSeconds} s`).withRetryAfter(
        rate.retryAfterSeconds,
      );
    }
    request.principal = principal;
    return principal;
  }

  private async local(): Promise<{ principal: Principal; limits: TenantLimits; rate: RateDecision }> {
    const limits = await this.limits.limits(LOCAL_PRINCIPAL.tenant);
    return { principal: LOCAL_PRINCIPAL, limits, rate: await this.limits.hitRate(LOCAL_PRINCIPAL.keyId, limits.requests_per_minute) };
  }

  /** Key, scope and rate in one round trip per presented key (KeyAdmission); the first valid key decides. */
  private async admit(request: AuthenticatedRequest, response: Response, requirement: KeyRequirement): Promise<{ principal: Principal; limits: TenantLimits; rate: RateDecision }> {
    for (const key of presentedKeys(request.header('authorization'), request.header('x-api-key'), { basic: requirement.basic })) {
      const admission = await this.admission.admit(key, requirement.scope);
      if (admission.kind === 'forbidden') throw new ApiError(HttpStatus.FORBIDDEN, 'forbidden', `this key lacks the "${requirement.scope}" scope`);
      if (admission.kind === 'counted') return admission;
    }
    if (requirement.challenge) response.setHeader('WWW-Authenticate', requirement.challenge);
    const how = requirement.basic ? 'Authorization: Bearer <key>, or basic auth with the key as password' : 'Authorization: Bearer <key> or X-API-Key: <key>';
    throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', `missing, invalid or revoked API key (${how})`);
  }
}
