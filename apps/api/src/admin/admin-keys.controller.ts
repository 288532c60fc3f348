import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { ApiKeyStore, Scope, TenantLimitsStore, scopeSchema, tenantLimitsPatchSchema, type ApiKeyView, type TenantLimits } from '@atelier/tenancy';
import { ApiError } from '../common/api-error.js';
import { parseBody } from '../common/zod-body.js';
import { RequireScope } from '../auth/require-scope.decorator.js';

const tenantName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, _ and -, at most 63 characters');
const createKeySchema = z.object({ tenant: tenantName, scopes: z.array(scopeSchema).min(1), name: z.string().max(200).optional() }).strict();
const listQuerySchema = z.object({ tenant: tenantName.optional() }).strict();

/** Key management for operators: create (the key is shown once), list, rotate, revoke; tenant limits. */
@Controller('v1/admin')
@RequireScope(Scope.Admin)
export class AdminKeysController {
  constructor(
    @Inject(ApiKeyStore) private readonly keys: ApiKeyStore,
    @Inject(TenantLimitsStore) private readonly limits: TenantLimitsStore,
  ) {}

  @Post('keys')
  @HttpCode(HttpStatus.CREATED)
  async create(@Body() body: unknown): Promise<ApiKeyView & { key: string }> {
    const input = parseBody(createKeySchema, body);
    const { key, record } = await this.keys.create(input);
    return { ...record, key };
  }

  @Get('keys')
  async list(@Query() query: unknown): Promise<{ object: 'list'; data: ApiKeyView[] }> {
    const { tenant } = parseBody(listQuerySchema, query);
    return { object: 'list', data: await this.keys.list(tenant) };
  }

  @Post('keys/:id/rotate')
  async rotate(@Param('id') id: string): Promise<ApiKeyView & { key: string }> {
    const rotated = await this.keys.rotate(id);
    if (!rotated) throw ApiError.notFound('active API key', id);
    return { ...rotated.record, key: rotated.key };
  }

  @Post('keys/:id/revoke')
  async revoke(@Param('id') id: string): Promise<ApiKeyView> {
    const revoked = await this.keys.revoke(id);
    if (!revoked) throw ApiError.notFound('API key', id);
    return revoked;
  }

  @Get('tenants/:tenant/limits')
  async getLimits(@Param('tenant') tenant: string): Promise<TenantLimits> {
    return this.limits.limits(parseBody(tenantName, tenant));
  }

  @Patch('tenants/:tenant/limits')
  async setLimits(@Param('tenant') tenant: string, @Body() body: unknown): Promise<TenantLimits> {
    return this.limits.setLimits(parseBody(tenantName, tenant), parseBody(tenantLimitsPatchSchema.strict(), body));
  }
}
