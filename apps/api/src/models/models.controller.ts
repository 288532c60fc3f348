import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { AdapterManifest, OnnxModelManifest, PipelineManifest, VaeManifest } from '@atelier/registry';
import { Scope, type Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { ModelsService, type CatalogEntry } from './models.service.js';

/** The model registry's routes (see ModelsService). */
@Controller('v1/models')
export class ModelsController {
  constructor(@Inject(ModelsService) private readonly models: ModelsService) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: unknown): Promise<{ object: 'list'; data: CatalogEntry[] }> {
    return this.models.list(principal, query);
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<CatalogEntry> {
    return this.models.get(principal, id);
  }

  /**
   * JSON `{kind, name, source}` or multipart (`file`, `kind`, `name`), the file streamed to disk, never
   * buffered. ONNX kinds may also upload `encoder`/`decoder`, `detector`/`pose`, `image_encoder`/`projection` and `config`.
   */
  @Post()
  @HttpCode(HttpStatus.CREATED)
  @RequireScope(Scope.ManageModels)
  async import(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Req() request: Request): Promise<AdapterManifest | OnnxModelManifest | PipelineManifest | VaeManifest> {
    return this.models.import(principal, body, request);
  }

  @Delete(':id')
  @RequireScope(Scope.ManageModels)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<{ id: string; deleted: true }> {
    return this.models.remove(principal, id);
  }
}
