import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { ALL_SCOPES, ApiKeyStore, LOCAL_TENANT, Scope, TenantLimitsStore, type Principal } from '#libs/tenancy/src/index.js';
import { ApiError } from '../common/api-error.js';
import type { AuthenticatedRequest } from './current-principal.decorator.js';
import { PUBLIC_ROUTE, REQUIRED_SCOPE } from './require-scope.decorator.js';

const LOCAL_PRINCIPAL: Principal = { keyId: 'local', tenant: LOCAL_TENANT, scopes: ALL_SCOPES };

/**
 * Every /v1 route: a valid, unrevoked API key with the route's scope, within the key's request
 * rate. Authentication can only be turned off explicitly (AUTH_DISABLED=true, local development).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeyStore) private readonly keys: ApiKeyStore,
    @Inject(TenantLimitsStore) private readonly limits: TenantLimitsStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) || !request.path.startsWith('/v1/')) return true;
    const required = this.reflector.getAllAndOverride<Scope>(REQUIRED_SCOPE, targets) ?? Scope.Generate;
    let principal = LOCAL_PRINCIPAL;
    if (!this.config.env.AUTH_DISABLED) {
      const header = request.header('authorization');
      const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : request.header('x-api-key');
      const found = presented ? await this.keys.authenticate(presented) : undefined;
      if (!found) throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'missing, invalid or revoked API key (Authorization: Bearer <key>)');
      principal = found;
    }
    if (!principal.scopes.includes(required) && !principal.scopes.includes(Scope.Admin)) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'forbidden', `this key lacks the "${required}" scope`);
    }
    const limits = await this.limits.limits(principal.tenant);
    const rate = await this.limits.hitRate(principal.keyId, limits.requests_per_minute);
    if (!rate.allowed) {
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(rate.retryAfterSeconds));
      throw new ApiError(HttpStatus.TOO_MANY_REQUESTS, 'rate_limited', `more than ${limits.requests_per_minute} requests per minute for this key; retry in ${rate.retryAfterSeconds} s`);
    }
    request.principal = principal;
    return true;
  }
}
