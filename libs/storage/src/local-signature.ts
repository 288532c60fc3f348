import { createHmac, timingSafeEqual } from 'node:crypto';

/** Route prefix under which the API serves LocalStorage objects; presigned URLs point there. */
export const LOCAL_FILES_PATH = '/files/';

const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;
const EXPIRES_PATTERN = /^[0-9]{1,12}$/;

/**
 * hex HMAC-SHA256(secret, `${key}\n${expires}`). The newline separator keeps the message
 * unambiguous: plain `key + expires` would let a URL signed for key `a1` expiring at E be replayed
 * as key `a` expiring at `1E`. Keys can never contain a newline (see object-key.ts).
 */
export function signLocalObject(key: string, expires: number, secret: string): string {
  return createHmac('sha256', secret).update(`${key}\n${expires}`).digest('hex');
}

/**
 * For the API's file route: true only when `signature` was made by `signLocalObject` with this
 * secret for exactly this key and expiry, and `now` is before the expiry. `expires` and
 * `signature` are taken as they arrive in the query string; any malformed value is simply false.
 */
export function verifyLocalSignature(
  key: string,
  expires: string | number,
  signature: string,
  secret: string,
  now: Date = new Date(),
): boolean {
  const expiresText = String(expires);
  if (!EXPIRES_PATTERN.test(expiresText) || typeof signature !== 'string' || !SIGNATURE_PATTERN.test(signature)) {
    return false;
  }
  const expiresAt = Number(expiresText);
  if (now.getTime() >= expiresAt * 1000) return false;
  const expected = Buffer.from(signLocalObject(key, expiresAt, secret), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
