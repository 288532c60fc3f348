import { OutboundAllowlist } from './allowlist.js';
import type { OutboundPolicy } from './outbound-url.js';

/** The two allowlist variables, as the environment schema gives them. */
export interface AllowlistEnvironment {
  /** Allowed for every outbound fetch: images, datasets, model imports, webhooks. */
  readonly OUTBOUND_ALLOWED_HOSTS: string;
  /** Allowed for webhook deliveries only. */
  readonly WEBHOOK_ALLOWED_HOSTS: string;
}

/** The farm's outbound policies, one per kind of URL a client can hand it. */
export interface FarmPolicies {
  /** init_image / mask_image / A1111 init_images: http or https. */
  readonly images: OutboundPolicy;
  /** Training datasets and model imports: https. */
  readonly downloads: OutboundPolicy;
  /** Webhook deliveries: https. */
  readonly webhooks: OutboundPolicy;
}

export function farmPolicies(env: AllowlistEnvironment): FarmPolicies {
  const outbound = OutboundAllowlist.parse(env.OUTBOUND_ALLOWED_HOSTS);
  return {
    images: { allowlist: outbound, schemes: ['http:', 'https:'] },
    downloads: { allowlist: outbound, schemes: ['https:'] },
    webhooks: { allowlist: OutboundAllowlist.union(outbound, OutboundAllowlist.parse(env.WEBHOOK_ALLOWED_HOSTS)), schemes: ['https:'] },
  };
}
