import { isIP } from 'node:net';

/**
 * Which addresses the farm never connects to on a client's behalf: anything that reaches the
 * farm's own host, its private network or a cloud metadata service, in every encoding an IPv6
 * address can carry an IPv4 one (mapped, compatible, 6to4, NAT64).
 */
const V4_BLOCKS: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT (also Alibaba's metadata 100.100.100.200)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
  ['168.63.129.16', 32], // Azure wire server (metadata), a public address
];

function v4ToInt(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

function v4Forbidden(value: number): boolean {
  return V4_BLOCKS.some(([base, bits]) => Math.floor(value / 2 ** (32 - bits)) === Math.floor(v4ToInt(base) / 2 ** (32 - bits)));
}

/** Expands a valid IPv6 address to 8 hextets (handles `::`, a zone id and an embedded IPv4 tail). */
function v6Hextets(address: string): number[] {
  let text = address.toLowerCase().split('%')[0];
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const value = v4ToInt(v4Tail[1]);
    text = `${text.slice(0, -v4Tail[1].length)}${Math.floor(value / 65536).toString(16)}:${(value % 65536).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined): number[] => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const v4Of = (high: number, low: number): number => high * 65536 + low;

function v6Forbidden(address: string): boolean {
  const h = v6Hextets(address);
  const zeros = (from: number, to: number): boolean => h.slice(from, to).every((group) => group === 0);
  if (zeros(0, 6)) return true; // ::/96: unspecified, loopback, IPv4-compatible (deprecated; never a real peer)
  if (zeros(0, 5) && h[5] === 0xffff) return true; // ::ffff:0:0/96 IPv4-mapped: the connection would go to the IPv4 address
  if (zeros(0, 4) && h[4] === 0xffff && h[5] === 0) return true; // ::ffff:0:0:0/96 IPv4-translated
  if (h[0] === 0x64 && h[1] === 0xff9b && zeros(2, 6)) return v4Forbidden(v4Of(h[6], h[7])); // NAT64 well-known prefix
  if (h[0] === 0x64 && h[1] === 0xff9b && h[2] === 1) return true; // NAT64 local-use 64:ff9b:1::/48: embedding is site-defined
  if (h[0] === 0x2002) return v4Forbidden(v4Of(h[1], h[2])); // 6to4 2002::/16 carries an IPv4 address in hextets 1-2
  if (h[0] === 0x2001 && h[1] === 0) return true; // Teredo 2001::/32 (obfuscated IPv4 inside)
  if (h[0] === 0x2001 && h[1] === 0x0db8) return true; // documentation
  if (h[0] === 0x0100 && zeros(1, 4)) return true; // discard-only 100::/64
  if ((h[0] & 0xfe00) === 0xfc00) return true; // unique-local fc00::/7 (incl. fd00:ec2::254, AWS metadata)
  if ((h[0] & 0xffc0) === 0xfe80) return true; // link-local
  if ((h[0] & 0xffc0) === 0xfec0) return true; // site-local (deprecated)
  if ((h[0] & 0xff00) === 0xff00) return true; // multicast
  return false;
}

/** True for any address the farm must not connect to; anything that is not an IP address counts as forbidden. */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return v4Forbidden(v4ToInt(bare));
  if (family === 6) return v6Forbidden(bare);
  return true;
}

const FORBIDDEN_HOSTNAMES = new Set(['localhost', 'metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

/** Names that always mean the local host or a metadata service, whatever DNS says. */
export function isForbiddenHostname(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return FORBIDDEN_HOSTNAMES.has(name) || name.endsWith('.localhost');
}
