import { createHmac } from 'node:crypto';
import { decodeWebhookSecret } from './webhook-secret.js';

export const SIGNATURE_VERSION = 'v1';

export interface WebhookSigningInput {
  /** `whsec_...` secret of the receiving endpoint. */
  readonly secret: string;
  /** Unique per message and identical across retries, so receivers can deduplicate. */
  readonly id: string;
  /** Unix seconds of this delivery attempt. */
  readonly timestamp: number;
  /** The exact request body bytes, as a string; sign after serialising, never before. */
  readonly body: string;
}

// A type alias, not an interface, so it is assignable to plain header records.
export type WebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
  readonly 'content-type': 'application/json';
};

/** `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), as Standard Webhooks defines. */
export function signWebhook({ secret, id, timestamp, body }: WebhookSigningInput): string {
  assertSignable(id, timestamp);
  const mac = createHmac('sha256', decodeWebhookSecret(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `${SIGNATURE_VERSION},${mac}`;
}

/** Signing with several secrets at once: during a rotation's overlap, the new one and the previous one. */
export interface WebhookMultiSigningInput extends Omit<WebhookSigningInput, 'secret'> {
  /** Current secret first; receivers accept the request when any one signature matches theirs. */
  readonly secrets: readonly [string, ...string[]];
}

/** Everything a delivery needs besides the body; one space-separated `v1,` entry per secret. */
export function webhookHeaders(input: WebhookSigningInput | WebhookMultiSigningInput): WebhookHeaders {
  const secrets = 'secrets' in input ? input.secrets : [input.secret];
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': secrets.map((secret) => signWebhook({ secret, id: input.id, timestamp: input.timestamp, body: input.body })).join(' '),
    'content-type': 'application/json',
  };
}

function assertSignable(id: string, timestamp: number): void {
  // The id travels as a header value: no whitespace or control characters.
  if (!/^[\x21-\x7E]{1,255}$/.test(id)) {
    throw new TypeError(`Webhook id must be 1-255 printable ASCII characters, got ${JSON.stringify(id)}`);
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError(`Webhook timestamp must be whole unix seconds, got ${timestamp}`);
  }
}
