import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { ConfigError, loadAppConfig } from '@atelier/config';
import { FARM_METRICS, type FarmMetrics } from '@atelier/metrics';
import { LocalStorage } from '@atelier/storage';
import { ALL_SCOPES, ApiKeyStore } from '@atelier/tenancy';
import { AppModule } from './app.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { localFilesHandler } from './files/local-files.middleware.js';
import { OBJECT_STORAGE, REDIS, REDIS_STATE } from './infrastructure/tokens.js';
import { securityHeaders } from './common/security-headers.js';
import { assertRedisCertificateTrusted, redisGuaranteeWarnings } from '@atelier/queue';
import { buildOpenApiDocument } from './openapi/openapi-document.js';
import { VERSION } from '@atelier/config';
import { requestLimits } from './common/request-limits.js';
import { strictExpress } from './http/strict-express.js';

async function bootstrap(): Promise<void> {
  const config = await loadAppConfig();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forConfig(config), new ExpressAdapter(strictExpress()), {
    bodyParser: false,
    logger: config.env.LOG_LEVEL === 'silent' ? false : undefined,
  });
  // On SIGTERM, keep-alive connections must not keep the old process alive: requests that arrive
  // after it get 503 + Connection: close (clients retry on a fresh connection), requests already
  // in flight complete, and idle sockets are dropped. Registered first so "arrived" means arrived.
  let closing = false;
  app.use((request: Request & { arrivedWhileClosing?: boolean }, response: Response, next: NextFunction) => {
    request.arrivedWhileClosing = closing;
    if (closing) response.setHeader('Connection', 'close');
    next();
  });
  process.once('SIGTERM', () => {
    closing = true;
    const server = app.getHttpServer() as import('node:http').Server;
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 100).unref();
  });
  app.useBodyParser('json', { limit: config.env.MAX_BODY_BYTES });
  app.use((request: Request & { arrivedWhileClosing?: boolean }, response: Response, next: NextFunction) => {
    if (!request.arrivedWhileClosing) return next();
    response.setHeader('Retry-After', '1');
    response.status(503).json({ error: { code: 'service_unavailable', message: 'this API process is shutting down; retry' } });
  });
  app.disable('x-powered-by');
  app.use(securityHeaders);
  const corsOrigins = config.env.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean);
  if (corsOrigins.length > 0) app.enableCors({ origin: corsOrigins.includes('*') ? true : corsOrigins, exposedHeaders: ['Location', 'Retry-After'] });
  app.useGlobalFilters(new HttpExceptionFilter(app.get<{ readonly status: string }>(REDIS_STATE)));
  app.enableShutdownHooks();


  const metrics = app.get<FarmMetrics>(FARM_METRICS);
  app.use((request: Request, response: Response, next: NextFunction) => {
    response.on('finish', () => {
      const route = (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
      metrics.httpRequests.inc({ method: request.method, route, status_class: `${Math.floor(response.statusCode / 100)}xx` });
    });
    next();
  });

  await assertRedisCertificateTrusted(app.get(REDIS), config.redis);
  for (const warning of await redisGuaranteeWarnings(app.get(REDIS))) new Logger('Redis').warn(`WARNING: ${warning}`);
  if (config.env.ATELIER_BOOTSTRAP_API_KEY) {
    const seeded = await app.get(ApiKeyStore).seed(config.env.ATELIER_BOOTSTRAP_API_KEY, 'default', ALL_SCOPES, 'bootstrap');
    new Logger('Atelier').log(`bootstrap admin key ${seeded.id} ready for tenant "${seeded.tenant}"`);
  }

  const storage = app.get(OBJECT_STORAGE);
  if (config.storage.driver === 'local' && storage instanceof LocalStorage) app.use('/files', localFilesHandler(storage, config.storage, config.env.MAX_DATASET_BYTES));

  const document = buildOpenApiDocument(VERSION, config.env.MAX_BATCH_SIZE, requestLimits(config));
  SwaggerModule.setup('docs', app, document as unknown as OpenAPIObject, { jsonDocumentUrl: 'docs/openapi.json' });

  await app.listen(config.env.PORT, config.env.HOST);
  const logger = new Logger('Atelier');
  logger.log(`API listening on ${config.env.HOST}:${config.env.PORT} (public URL ${config.publicUrl}); storage: ${storage.describe()}`);
  if (config.env.AUTH_DISABLED) logger.warn('AUTH_DISABLED=true: every request acts as tenant "local" with all scopes (local development only)');
  // Never the secret itself: logs travel further than the secrets file.
  if (config.webhookSecretGenerated) logger.log(`Generated the farm's webhook signing secret in ${config.dataDir}/secrets.json (the owner tenant's initial secret; tenants read theirs at GET /v1/webhooks/secret)`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
