import { timingSafeEqual } from 'node:crypto';
import { SIGNATURE_VERSION, signWebhook } from './webhook-signature.js';

export type WebhookVerificationFailure =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_out_of_tolerance'
  | 'invalid_signature';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';

  constructor(readonly reason: WebhookVerificationFailure, message: string) {
    super(message);
  }
}

export interface WebhookVerificationInput {
  readonly secret: string;
  /** Request headers in any letter case; node's IncomingHttpHeaders fits. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The raw body exactly as received, before any JSON parsing. */
  readonly body: string;
  /** How far the timestamp may be from `now`, either way. Default 300 s (Standard Webhooks). */
  readonly toleranceSeconds?: number;
  readonly now?: Date;
}

export interface VerifiedWebhook {
  readonly id: string;
  readonly timestamp: number;
}

export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/**
 * Receiver-side check of a Standard Webhooks request: accepts when any `v1,` entry of the
 * space-separated `webhook-signature` header matches and the timestamp is within tolerance
 * (which bounds replays). @throws WebhookVerificationError
 */
export function verifyWebhook(input: WebhookVerificationInput): VerifiedWebhook {
  const id = singleHeader(input.headers, 'webhook-id');
  const timestampText = singleHeader(input.headers, 'webhook-timestamp');
  const signatureHeader = singleHeader(input.headers, 'webhook-signature');
  if (id === undefined || timestampText === undefined || signatureHeader === undefined) {
    throw new WebhookVerificationError('missing_headers', 'Missing webhook-id, webhook-timestamp or webhook-signature');
  }
  if (!/^[0-9]{1,15}$/.test(timestampText)) {
    throw new WebhookVerificationError('invalid_timestamp', `Invalid webhook-timestamp ${JSON.stringify(timestampText)}`);
  }
  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    throw new WebhookVerificationError('timestamp_out_of_tolerance', 'Webhook timestamp is too old or too new');
  }

  let expected: Buffer;
  try {
    expected = macOf(signWebhook({ secret: input.secret, id, timestamp, body: input.body }));
  } catch {
    throw new WebhookVerificationError('invalid_signature', 'Webhook cannot be signed with this id and secret');
  }
  const matches = signatureHeader
    .split(' ')
    .filter((entry) => entry.startsWith(`${SIGNATURE_VERSION},`))
    .map(macOf)
    .some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
  if (!matches) throw new WebhookVerificationError('invalid_signature', 'No matching webhook signature');
  return { id, timestamp };
}

function macOf(versionedSignature: string): Buffer {
  return Buffer.from(versionedSignature.slice(SIGNATURE_VERSION.length + 1), 'base64');
}

function singleHeader(
  headers: WebhookVerificationInput['headers'],
  name: string,
): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return typeof value === 'string' && value.length > 0 ? value : undefined;
  }
  return undefined;
}
