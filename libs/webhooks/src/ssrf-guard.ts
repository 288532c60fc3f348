import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

export class ForbiddenWebhookTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenWebhookTargetError';
  }
}

const V4_BLOCKS: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

function v4ToInt(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

function v4Forbidden(address: string): boolean {
  const value = v4ToInt(address);
  return V4_BLOCKS.some(([base, bits]) => Math.floor(value / 2 ** (32 - bits)) === Math.floor(v4ToInt(base) / 2 ** (32 - bits)));
}

/** Expands an IPv6 address to 8 hextets (handles `::` and an embedded IPv4 tail). */
function v6Hextets(address: string): number[] {
  let text = address.toLowerCase().split('%')[0];
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const value = v4ToInt(v4Tail[1]);
    text = `${text.slice(0, -v4Tail[1].length)}${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined): number[] => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function v6Forbidden(address: string): boolean {
  const h = v6Hextets(address);
  const embeddedV4 = (): string => `${h[6] >> 8}.${h[6] & 255}.${h[7] >> 8}.${h[7] & 255}`;
  if (h.every((group) => group === 0)) return true; // ::
  if (h.slice(0, 7).every((group) => group === 0) && h[7] === 1) return true; // ::1
  if (h.slice(0, 5).every((group) => group === 0) && h[5] === 0xffff) return v4Forbidden(embeddedV4()); // ::ffff:a.b.c.d
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((group) => group === 0)) return v4Forbidden(embeddedV4()); // NAT64
  if ((h[0] & 0xfe00) === 0xfc00) return true; // unique-local fc00::/7 (incl. fd00:ec2::254 metadata)
  if ((h[0] & 0xffc0) === 0xfe80) return true; // link-local
  if ((h[0] & 0xff00) === 0xff00) return true; // multicast
  if (h[0] === 0x2001 && h[1] === 0x0db8) return true; // documentation
  return false;
}

/** Loopback, private, link-local, CGNAT, unique-local, multicast, metadata and reserved ranges. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return v4Forbidden(address);
  if (family === 6) return v6Forbidden(address);
  return true;
}

export function parseAllowedHosts(list: string): ReadonlySet<string> {
  return new Set(
    list
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** Static checks of a webhook URL: https unless allowlisted, no forbidden IP literal, no credentials. */
export function checkWebhookUrl(raw: string, allowedHosts: ReadonlySet<string>): URL {
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (url.username || url.password) throw new ForbiddenWebhookTargetError('webhook URLs must not carry credentials');
  if (allowedHosts.has(host)) return url;
  if (url.protocol !== 'https:') throw new ForbiddenWebhookTargetError(`webhook URLs must use https (or be listed in WEBHOOK_ALLOWED_HOSTS): ${host}`);
  if (isIP(host) && isForbiddenAddress(host)) throw new ForbiddenWebhookTargetError(`webhook target ${host} is a private, loopback, link-local or reserved address`);
  if (host === 'localhost' || host.endsWith('.localhost') || host === 'metadata.google.internal') throw new ForbiddenWebhookTargetError(`webhook target ${host} is not allowed`);
  return url;
}

/**
 * DNS resolution for deliveries that refuses forbidden addresses and hands the socket exactly the
 * address it checked, so a second resolution (DNS rebinding) cannot redirect the connection.
 */
export function guardedLookup(allowedHosts: ReadonlySet<string>): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      const allowed = allowedHosts.has(hostname.toLowerCase());
      const usable = addresses.filter((entry) => allowed || !isForbiddenAddress(entry.address));
      if (usable.length === 0) {
        return callback(new ForbiddenWebhookTargetError(`${hostname} resolves only to forbidden addresses (${addresses.map((entry) => entry.address).join(', ')})`), '', 4);
      }
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, usable);
      return callback(null, usable[0].address, usable[0].family);
    });
  };
}
