import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { RedisClient } from '@atelier/queue';
import type { ObjectStorage } from '@atelier/storage';
import { OBJECT_STORAGE, REDIS } from '../infrastructure/tokens.js';
import { PublicRoute } from '../auth/require-scope.decorator.js';

type Check = { ok: true } | { ok: false; error: string };

async function check(probe: () => Promise<unknown>): Promise<Check> {
  try {
    await probe();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** Public: load balancers and orchestrators probe these without credentials; they reveal only up/down. */
@Controller()
@PublicRoute()
export class HealthController {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the systems every request needs are reachable. */
  @Get('readyz')
  async ready(@Res({ passthrough: true }) response: Response): Promise<{ status: string; checks: Record<string, Check> }> {
    const checks = { redis: await check(() => this.redis.ping()), storage: await check(() => this.storage.ping()) };
    const ok = Object.values(checks).every((result) => result.ok);
    response.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ready' : 'not_ready', checks };
  }
}
