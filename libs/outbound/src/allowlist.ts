/**
 * Operator-approved targets that bypass the address policy (e.g. an internal webhook receiver).
 * Each entry is `host:port` or a bare `host`, which means that host on the URL scheme's default
 * port (80 for http, 443 for https) — never "any port", so allowing a host does not open a port scan
 * of it. Hosts are normalised like URLs are (`2130706433` and `127.0.0.1` are the same entry).
 */
export class OutboundAllowlist {
  private constructor(private readonly entries: ReadonlyArray<{ readonly host: string; readonly port: number | undefined }>) {}

  static readonly empty = new OutboundAllowlist([]);

  /** Parses a comma-separated list; an entry that is not a host[:port] throws (configuration error). */
  static parse(list: string): OutboundAllowlist {
    const entries = list
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/@]+)(?::(\d{1,5}))?$/.exec(entry);
        if (!match) throw new TypeError(`allowlist entry "${entry}" is not host or host:port`);
        const port = match[2] === undefined ? undefined : Number(match[2]);
        if (port !== undefined && (port < 1 || port > 65_535)) throw new TypeError(`allowlist entry "${entry}" has an invalid port`);
        return { host: normaliseHost(match[1]), port };
      });
    return new OutboundAllowlist(entries);
  }

  /** Combines lists (e.g. a general allowlist and a webhook-only one). */
  static union(...lists: readonly OutboundAllowlist[]): OutboundAllowlist {
    return new OutboundAllowlist(lists.flatMap((list) => list.entries));
  }

  /** True when the URL's host AND effective port match an entry. */
  allows(url: URL): boolean {
    const host = normaliseHost(url.hostname);
    const port = effectivePort(url);
    return this.entries.some((entry) => entry.host === host && (entry.port ?? defaultPort(url)) === port);
  }
}

function normaliseHost(host: string): string {
  return new URL(`http://${host}/`).hostname.toLowerCase().replace(/\.$/, '');
}

function defaultPort(url: URL): number {
  return url.protocol === 'https:' ? 443 : 80;
}

export function effectivePort(url: URL): number {
  return url.port ? Number(url.port) : defaultPort(url);
}

/** Why a configured allowlist cannot be used, or undefined (for the environment schema). */
export function allowlistProblem(list: string): string | undefined {
  try {
    OutboundAllowlist.parse(list);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
