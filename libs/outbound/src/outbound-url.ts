import { isIP } from 'node:net';
import { isForbiddenAddress, isForbiddenHostname } from './address-policy.js';
import type { OutboundAllowlist } from './allowlist.js';
import { OutboundError } from './outbound-error.js';

export type OutboundScheme = 'http:' | 'https:';

/** What a caller may fetch: the schemes open to any public host, and the operator's allowlist. */
export interface OutboundPolicy {
  readonly allowlist: OutboundAllowlist;
  /** Schemes for targets not on the allowlist (webhooks: https only). Allowlisted targets may use http or https. */
  readonly schemes: readonly OutboundScheme[];
}

/**
 * The checks that need no DNS: scheme, credentials, and a host that is an IP literal in a
 * forbidden range or a name that always means the local host. The WHATWG parser normalises every
 * spelling first (`2130706433`, `0x7f000001`, `0177.0.0.1`, `[::ffff:7f00:1]` → one form), so the
 * check sees the address the socket would use. Host names are checked again at fetch time, on
 * the addresses DNS returns.
 */
export function checkOutboundUrl(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundError('invalid_url', 'is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundError('forbidden_scheme', `scheme ${url.protocol} is not allowed; use http(s)`);
  if (url.username || url.password) throw new OutboundError('credentials', 'URLs must not carry credentials (user:password@)');
  if (policy.allowlist.allows(url)) return url;
  if (!policy.schemes.includes(url.protocol)) {
    throw new OutboundError('forbidden_scheme', `must use ${policy.schemes.join(' or ')} (or be allowlisted)`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && isForbiddenAddress(host)) throw new OutboundError('forbidden_address', `${host} is a loopback, private, link-local or reserved address`);
  if (isForbiddenHostname(host)) throw new OutboundError('forbidden_host', `${host} is not allowed`);
  return url;
}
