import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Response } from 'express';
import { Scope } from '@atelier/tenancy';
import type { AuthenticatedRequest } from '../auth/current-principal.decorator.js';
import { KeyAuthenticator } from '../auth/key-authenticator.js';

/**
 * Authentication for the A1111 routes (`@AuthenticatedBy(CompatAuthGuard)`): the same keys,
 * scopes and per-key rate limit as /v1, with HTTP basic auth added for A1111 clients (the key as
 * password with any user name, or as user name with an empty password) and a Basic challenge.
 */
@Injectable()
export class CompatAuthGuard implements CanActivate {
  constructor(@Inject(KeyAuthenticator) private readonly authenticator: KeyAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    await this.authenticator.authorize(http.getRequest<AuthenticatedRequest>(), http.getResponse<Response>(), {
      scope: Scope.Generate,
      basic: true,
      challenge: 'Basic realm="atelier", charset="UTF-8"',
    });
    return true;
  }
}
