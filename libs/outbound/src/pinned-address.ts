import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { isForbiddenAddress } from './address-policy.js';
import { OutboundError } from './outbound-error.js';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Host name → addresses. Replaceable so tests can point a name anywhere without touching DNS. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
  return addresses.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
};

/**
 * Resolves the URL's host once and returns the address to connect to: the first one the policy
 * permits (any, when the target is allowlisted). The socket is then handed exactly this address,
 * so a second resolution (DNS rebinding) cannot send it elsewhere.
 */
export async function pinAddress(url: URL, allowlisted: boolean, resolve: Resolver): Promise<ResolvedAddress> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  if (literal) {
    if (!allowlisted && isForbiddenAddress(host)) throw new OutboundError('forbidden_address', `${host} is a forbidden address`);
    return { address: host, family: literal === 6 ? 6 : 4 };
  }
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    throw new OutboundError('dns_failed', `${host} did not resolve`, { cause: error });
  }
  const usable = addresses.find((entry) => allowlisted || !isForbiddenAddress(entry.address));
  // The addresses themselves stay out of the message: it can reach a client (webhook delivery records).
  if (!usable) throw new OutboundError('forbidden_address', `${host} resolves only to forbidden addresses`);
  return usable;
}

/** A `lookup` for node:http(s) that answers every query with the pinned address. */
export function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, [pinned]);
      return;
    }
    callback(null, pinned.address, pinned.family);
  };
}
