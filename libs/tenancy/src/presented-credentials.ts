import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * `Authorization: <scheme> <credentials>`. The scheme is case-insensitive (RFC 9110 §11.1), so
 * `bearer`, `Bearer` and `BEARER` are one scheme; the result names it in lower case.
 */
export function parseAuthorization(header: string | undefined): { scheme: string; credentials: string } | undefined {
  const match = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)[ \t]+(\S.*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { scheme: match[1].toLowerCase(), credentials: match[2].trim() };
}

/** The token of `Authorization: Bearer <token>` (scheme in any case), if that is what was sent. */
export function bearerToken(header: string | undefined): string | undefined {
  const parsed = parseAuthorization(header);
  return parsed?.scheme === 'bearer' ? parsed.credentials : undefined;
}

/**
 * API keys a request presents, most specific first: `Authorization: Bearer <key>`, then, where
 * `basic` is allowed (A1111 clients speak the webui's `--api-auth user:password`), the basic-auth
 * password and user name (the key may be either), then `X-API-Key`. The one parser every guard uses.
 */
export function presentedKeys(authorization: string | undefined, apiKeyHeader: string | undefined, options: { basic: boolean }): string[] {
  const keys: string[] = [];
  const parsed = parseAuthorization(authorization);
  if (parsed?.scheme === 'bearer') keys.push(parsed.credentials);
  if (parsed?.scheme === 'basic' && options.basic) {
    const decoded = Buffer.from(parsed.credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    keys.push(colon < 0 ? '' : decoded.slice(colon + 1), colon < 0 ? decoded : decoded.slice(0, colon));
  }
  if (apiKeyHeader) keys.push(apiKeyHeader.trim());
  return keys.filter((key) => key.length > 0);
}

/** Compares a presented secret with the configured one in constant time (whatever their lengths). */
export function secretsEqual(presented: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
