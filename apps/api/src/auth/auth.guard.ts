import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { Scope } from '@atelier/tenancy';
import type { AuthenticatedRequest } from './current-principal.decorator.js';
import { KeyAuthenticator } from './key-authenticator.js';
import { DELEGATED_AUTH, PUBLIC_ROUTE, REQUIRED_SCOPE } from './require-scope.decorator.js';

/**
 * Global guard, deny by default: every route needs a valid API key with its scope unless its
 * handler or controller is marked `@PublicRoute()` or `@AuthenticatedBy(guard)`. The decision
 * reads route metadata only, never the request path, so no spelling of a path gets around it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(KeyAuthenticator) private readonly authenticator: KeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    if (this.reflector.getAllAndOverride<boolean>(DELEGATED_AUTH, targets)) return true;
    const scope = this.reflector.getAllAndOverride<Scope>(REQUIRED_SCOPE, targets) ?? Scope.Generate;
    const http = context.switchToHttp();
    await this.authenticator.authorize(http.getRequest<AuthenticatedRequest>(), http.getResponse<Response>(), { scope, basic: false });
    return true;
  }
}
