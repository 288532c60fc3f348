import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { GenerationStore } from '#libs/records/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import type { Principal } from '#libs/tenancy/src/index.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { requireAccess } from '../common/require-access.js';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';
import { GenerationSource } from './generation-source.js';
import { QueuePositions } from './queue-position.js';
import { streamRecord } from './record-stream.js';

/** GET /v1/generations/{id}/events: live progress as Server-Sent Events. */
@Controller('v1/generations')
export class GenerationEventsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(QueuePositions) private readonly positions: QueuePositions,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  @Get(':id/events')
  async events(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() response: Response): Promise<void> {
    requireAccess(principal, await this.generations.get(id), 'generation', id);
    await streamRecord(response, new GenerationSource(id, this.generations, this.positions, this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS));
  }
}
