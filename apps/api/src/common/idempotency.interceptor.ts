import { createHash } from 'node:crypto';
import { HttpStatus, Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { from, of, switchMap, tap, catchError, throwError, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { RedisKeys, type RedisClient } from '@atelier/queue';
import type { AuthenticatedRequest } from '../auth/current-principal.decorator.js';
import { REDIS } from '../infrastructure/tokens.js';
import { ApiError } from './api-error.js';
import { canonicalJson } from './canonical-json.js';

interface StoredOutcome {
  readonly state: 'pending' | 'done';
  readonly fingerprint: string;
  readonly status?: number;
  readonly body?: unknown;
  readonly location?: string;
}

/**
 * `Idempotency-Key` on any POST: the first request with a key runs and its response is kept;
 * the same key with the same body (key order aside) replays that response (the original job, nothing new queued);
 * the same key with another body is a 409. Keys are scoped to the tenant.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(RedisKeys) private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const idempotencyKey = request.header('idempotency-key');
    if (request.method !== 'POST' || !idempotencyKey) return next.handle();
    if (idempotencyKey.length > 255) throw ApiError.field('Idempotency-Key', 'must be at most 255 characters');
    const tenant = request.principal?.tenant ?? 'anonymous';
    const storeKey = `${this.keys.prefix}:idempotency:${tenant}:${createHash('sha256').update(idempotencyKey).digest('hex')}`;
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.path}\n${canonicalJson(request.body ?? null)}`)
      .digest('hex');
    const ttl = this.config.env.IDEMPOTENCY_TTL_SECONDS;
    const pending: StoredOutcome = { state: 'pending', fingerprint };
    return from(this.redis.set(storeKey, JSON.stringify(pending), 'EX', ttl, 'NX')).pipe(
      switchMap((claimed) => {
        if (claimed) {
          return next.handle().pipe(
            tap((body: unknown) => {
              const done: StoredOutcome = { state: 'done', fingerprint, status: response.statusCode, body, location: response.getHeader('location')?.toString() };
              void this.redis.set(storeKey, JSON.stringify(done), 'EX', ttl);
            }),
            catchError((error: unknown) => {
              // A refused or failed request did not create anything: the key may be used again.
              void this.redis.del(storeKey);
              return throwError(() => error);
            }),
          );
        }
        return from(this.redis.get(storeKey)).pipe(
          switchMap((raw) => {
            const stored = raw ? (JSON.parse(raw) as StoredOutcome) : undefined;
            if (!stored) throw new ApiError(HttpStatus.CONFLICT, 'idempotency_key_expired', 'this Idempotency-Key just expired; retry');
            if (stored.fingerprint !== fingerprint) {
              throw new ApiError(HttpStatus.CONFLICT, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
            }
            if (stored.state === 'pending') {
              throw new ApiError(HttpStatus.CONFLICT, 'idempotency_request_in_progress', 'a request with this Idempotency-Key is still being processed').withRetryAfter(1);
            }
            response.status(stored.status ?? HttpStatus.OK);
            if (stored.location) response.setHeader('Location', stored.location);
            response.setHeader('Idempotent-Replayed', 'true');
            return of(stored.body);
          }),
        );
      }),
    );
  }
}
