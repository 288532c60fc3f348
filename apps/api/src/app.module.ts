import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { BatchesController } from './batches/batches.controller.js';
import { BatchesService } from './batches/batches.service.js';
import { CatalogController } from './catalog/catalog.controller.js';
import { AdminKeysController } from './admin/admin-keys.controller.js';
import { AuthGuard } from './auth/auth.guard.js';
import { KeyAuthenticator } from './auth/key-authenticator.js';
import { FarmCatalog } from './routing/farm-catalog.js';
import { QueueRouter } from './routing/queue-router.js';
import { UnservableJobWatchdog } from './routing/unservable-job-watchdog.js';
import { WorkersController } from './workers/workers.controller.js';
import { ModelsController } from './models/models.controller.js';
import { ModelsService } from './models/models.service.js';
import { TrainingsController } from './trainings/trainings.controller.js';
import { TrainingsService } from './trainings/trainings.service.js';
import { UploadsController } from './trainings/uploads.controller.js';
import { IdempotencyInterceptor } from './common/idempotency.interceptor.js';
import { GenerationSubmitter } from './generations/generation-submitter.js';
import { InlineImageValidator } from './generations/inline-image-validator.js';
import { CancelGeneration } from './generations/cancel-generation.js';
import { GenerationsController } from './generations/generations.controller.js';
import { GenerationsService } from './generations/generations.service.js';
import { SubmitGenerations } from './generations/submit-generations.js';
import { RequestResolver } from './generations/request-resolver.js';
import { HealthController } from './health/health.controller.js';
import { InfrastructureModule } from './infrastructure/infrastructure.module.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.service.js';
import { OutboxDrain } from './webhooks/outbox-drain.service.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { WEBHOOK_SIGNING_PROVIDERS } from './webhooks/webhook-signing.providers.js';
import { COMPAT_CONTROLLERS, COMPAT_PROVIDERS } from './compat/compat.registration.js';
import { CONSOLE_CONTROLLERS } from './console/console.registration.js';
import { EVENTS_CONTROLLERS, EVENTS_PROVIDERS } from './events/events.registration.js';
import { IMAGE_TASK_CONTROLLERS, IMAGE_TASK_PROVIDERS } from './image-tasks/image-tasks.registration.js';

@Module({})
export class AppModule {
  static forConfig(config: AppConfig): DynamicModule {
    const configModule: DynamicModule = {
      module: class ConfigModule {},
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
    return {
      module: AppModule,
      imports: [configModule, InfrastructureModule],
      controllers: [AdminKeysController, WorkersController, ModelsController, UploadsController, TrainingsController, GenerationsController, BatchesController, CatalogController, HealthController, MetricsController, WebhooksController, ...EVENTS_CONTROLLERS, ...IMAGE_TASK_CONTROLLERS, ...COMPAT_CONTROLLERS, ...CONSOLE_CONTROLLERS],
      providers: [KeyAuthenticator, ...EVENTS_PROVIDERS, ...IMAGE_TASK_PROVIDERS, ...COMPAT_PROVIDERS, FarmCatalog, QueueRouter, UnservableJobWatchdog, RequestResolver, GenerationSubmitter, SubmitGenerations, InlineImageValidator, CancelGeneration, GenerationsService, BatchesService, TrainingsService, ModelsService, WebhookDispatcher, OutboxDrain, ...WEBHOOK_SIGNING_PROVIDERS, { provide: APP_GUARD, useClass: AuthGuard }, { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor }],
    };
  }
}
