import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { Scope, bearerToken, secretsEqual } from '@atelier/tenancy';
import type { AuthenticatedRequest } from '../auth/current-principal.decorator.js';
import { KeyAuthenticator } from '../auth/key-authenticator.js';

/**
 * `GET /metrics` exposes every queue, worker class and tenant's traffic: Prometheus presents
 * `Authorization: Bearer <METRICS_TOKEN>` (a credential that opens nothing else), and an operator
 * may use an `admin` API key instead. Nobody reads it anonymously.
 */
@Injectable()
export class MetricsAuthGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KeyAuthenticator) private readonly authenticator: KeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const scrapeToken = this.config.env.METRICS_TOKEN;
    const presented = bearerToken(request.header('authorization'));
    if (scrapeToken && presented !== undefined && secretsEqual(presented, scrapeToken)) return true;
    await this.authenticator.authorize(http.getRequest<AuthenticatedRequest>(), http.getResponse<Response>(), { scope: Scope.Admin, basic: false });
    return true;
  }
}
