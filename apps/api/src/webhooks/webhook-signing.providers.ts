import type { Provider } from '@nestjs/common';
import { WebhookJobTenant } from './webhook-job-tenant.js';
import { webhookSecretStoreProvider } from './webhook-secret-store.provider.js';

/** What signing a delivery needs: the per-tenant secrets and whose they are for a queued job. */
export const WEBHOOK_SIGNING_PROVIDERS: Provider[] = [webhookSecretStoreProvider, WebhookJobTenant];
