import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { ALL_SCOPES, ApiKeyStore, LOCAL_TENANT, Scope, TenantLimitsStore, type Principal } from '#libs/tenancy/src/index.js';
import type { AuthenticatedRequest } from '../auth/current-principal.decorator.js';
import { ApiError } from '../common/api-error.js';

const LOCAL_PRINCIPAL: Principal = { keyId: 'local', tenant: LOCAL_TENANT, scopes: ALL_SCOPES };

/**
 * Keys a request presents, most specific first. A1111 clients speak HTTP basic auth (the webui's
 * `--api-auth user:password`): the API key may be the password (any user name) or the user name
 * (empty password). Bearer and X-API-Key work as on /v1.
 */
export function presentedKeys(authorization: string | undefined, apiKeyHeader: string | undefined): string[] {
  const keys: string[] = [];
  if (authorization?.startsWith('Bearer ')) keys.push(authorization.slice(7).trim());
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    keys.push(password, user);
  }
  if (apiKeyHeader) keys.push(apiKeyHeader.trim());
  return keys.filter((key) => key.length > 0);
}

/**
 * Authentication for compatibility routes outside /v1 (the global AuthGuard only covers /v1):
 * the same keys, scopes and per-key rate limit, with HTTP basic auth added for A1111 clients.
 */
@Injectable()
export class CompatAuthGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ApiKeyStore) private readonly keys: ApiKeyStore,
    @Inject(TenantLimitsStore) private readonly limits: TenantLimitsStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    let principal = LOCAL_PRINCIPAL;
    if (!this.config.env.AUTH_DISABLED) {
      let found: Principal | undefined;
      for (const key of presentedKeys(request.header('authorization'), request.header('x-api-key'))) {
        found = await this.keys.authenticate(key);
        if (found) break;
      }
      if (!found) {
        response.setHeader('WWW-Authenticate', 'Basic realm="atelier", charset="UTF-8"');
        throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'missing, invalid or revoked API key (Authorization: Bearer <key>, or basic auth with the key as password)');
      }
      principal = found;
    }
    if (!principal.scopes.includes(Scope.Generate) && !principal.scopes.includes(Scope.Admin)) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'forbidden', `this key lacks the "${Scope.Generate}" scope`);
    }
    const limits = await this.limits.limits(principal.tenant);
    const rate = await this.limits.hitRate(principal.keyId, limits.requests_per_minute);
    if (!rate.allowed) {
      throw new ApiError(HttpStatus.TOO_MANY_REQUESTS, 'rate_limited', `more than ${limits.requests_per_minute} requests per minute for this key; retry in ${rate.retryAfterSeconds} s`).withRetryAfter(
        rate.retryAfterSeconds,
      );
    }
    request.principal = principal;
    return true;
  }
}
