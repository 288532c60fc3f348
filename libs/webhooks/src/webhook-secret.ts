import { randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Standard Webhooks asks for 24 to 64 bytes of key material; we generate 32 (= SHA-256 block/2). */
const GENERATED_SECRET_BYTES = 32;
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A new per-endpoint signing secret: `whsec_` + base64 of 32 random bytes. Show it to the user once. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(GENERATED_SECRET_BYTES).toString('base64')}`;
}

/**
 * The HMAC key inside a secret: the base64 part after the optional `whsec_` prefix, decoded.
 * @throws TypeError when it is not canonical base64 of 24 to 64 bytes.
 */
export function decodeWebhookSecret(secret: string): Buffer {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  if (encoded.length === 0 || !BASE64_PATTERN.test(encoded)) {
    throw new TypeError('Webhook secret must be "whsec_" followed by base64');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new TypeError(`Webhook secret must decode to ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes, got ${key.length}`);
  }
  return key;
}
