export { Scope, ALL_SCOPES, scopeSchema } from './scopes.js';
export { BOOTSTRAP_TENANT, LOCAL_TENANT, type Principal } from './principal.js';
export { tenantLimitsSchema, tenantLimitsPatchSchema, type TenantLimits, type TenantLimitsPatch } from './tenant-limits.js';
export { ApiKeyStore, type ApiKeyView, type StoredApiKey } from './api-key-store.js';
export { TenantLimitsStore, type QueuedReservation, type RateDecision } from './limits-store.js';
export { KeyAdmission, type Admission } from './key-admission.js';
export { WebhookSecretStore, type RotatedWebhookSecret, type WebhookSecretStoreOptions, type WebhookSigningSecrets } from './webhook-secret-store.js';
export { bearerToken, parseAuthorization, presentedKeys, secretsEqual } from './presented-credentials.js';
