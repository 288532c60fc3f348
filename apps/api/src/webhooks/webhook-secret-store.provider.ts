import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { RedisKeys, type RedisClient } from '@atelier/queue';
import { BOOTSTRAP_TENANT, LOCAL_TENANT, WebhookSecretStore } from '@atelier/tenancy';
import { generateWebhookSecret } from '@atelier/webhooks';
import { REDIS } from '../infrastructure/tokens.js';

/**
 * The farm's own tenant: the bootstrap key's, or "local" when authentication is off. Only it
 * starts with the farm secret (WEBHOOK_SECRET, else the one generated in DATA_DIR/secrets.json),
 * so existing receivers of the operator keep verifying; every other tenant gets a random secret.
 */
export function ownerTenant(config: AppConfig): string {
  return config.env.AUTH_DISABLED ? LOCAL_TENANT : BOOTSTRAP_TENANT;
}

export const webhookSecretStoreProvider: Provider = {
  provide: WebhookSecretStore,
  inject: [REDIS, RedisKeys, APP_CONFIG],
  useFactory: (redis: RedisClient, keys: RedisKeys, config: AppConfig) =>
    new WebhookSecretStore(redis, keys.prefix, {
      generate: generateWebhookSecret,
      initialSecret: (tenant) => (tenant === ownerTenant(config) ? config.webhookSecret : undefined),
    }),
};
