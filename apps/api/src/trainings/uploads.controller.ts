import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, HttpStatus, Inject, Post } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import type { ObjectStorage } from '@atelier/storage';
import { Scope, type Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { parseBody } from '../common/zod-body.js';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';

const uploadSchema = z
  .object({ filename: z.string().max(255).optional(), content_type: z.literal('application/zip').default('application/zip'), size: z.number().int().positive().optional() })
  .strict();

export const uploadKey = (tenant: string, id: string): string => `uploads/${tenant}/${id}.zip`;

/** A presigned PUT for a dataset zip; the returned id is what `POST /v1/trainings` takes as `dataset`. */
@Controller('v1/uploads')
@RequireScope(Scope.Train)
export class UploadsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    const input = parseBody(uploadSchema, body ?? {});
    if (input.size !== undefined && input.size > this.config.env.MAX_DATASET_BYTES) {
      parseBody(z.object({ size: z.number().max(this.config.env.MAX_DATASET_BYTES) }), { size: input.size });
    }
    const id = `upl_${randomUUID().replaceAll('-', '')}`;
    const expiresIn = 3600;
    return {
      id,
      object: 'upload' as const,
      upload_url: await this.storage.presignPut(uploadKey(principal.tenant, id), input.content_type, expiresIn),
      method: 'PUT' as const,
      headers: { 'content-type': input.content_type },
      max_bytes: this.config.env.MAX_DATASET_BYTES,
      expires_at: new Date(Date.now() + expiresIn * 1000).toISOString(),
    };
  }
}
