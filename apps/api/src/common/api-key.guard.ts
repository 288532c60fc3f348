import { timingSafeEqual, createHash } from 'node:crypto';
import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { ApiError } from './api-error.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** With API_KEY set, every /v1 route needs `Authorization: Bearer <key>` (or `X-API-Key`). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.expected = config.env.API_KEY ? digest(config.env.API_KEY) : undefined;
  }

  get enabled(): boolean {
    return this.expected !== undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const request = context.switchToHttp().getRequest<Request>();
    if (!request.path.startsWith('/v1/')) return true;
    const header = request.header('authorization');
    const presented = header?.startsWith('Bearer ') ? header.slice(7) : request.header('x-api-key');
    if (presented && timingSafeEqual(digest(presented), this.expected)) return true;
    throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'missing or invalid API key (Authorization: Bearer <key>)');
  }
}
