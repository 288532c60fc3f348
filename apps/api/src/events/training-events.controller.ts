import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { TrainingStore } from '#libs/records/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import { Scope, type Principal } from '#libs/tenancy/src/index.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { requireAccess } from '../common/require-access.js';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';
import { QueuePositions } from './queue-position.js';
import { streamRecord } from './record-stream.js';
import { TrainingSource } from './training-source.js';

/** GET /v1/trainings/{id}/events: a training's progress, losses, checkpoints and samples live. */
@Controller('v1/trainings')
@RequireScope(Scope.Train)
export class TrainingEventsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TrainingStore) private readonly trainings: TrainingStore,
    @Inject(QueuePositions) private readonly positions: QueuePositions,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  @Get(':id/events')
  async events(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() response: Response): Promise<void> {
    requireAccess(principal, await this.trainings.get(id), 'training', id);
    await streamRecord(response, new TrainingSource(id, this.trainings, this.positions, this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS));
  }
}
