import type { OutboundAllowlist, OutboundPolicy } from '@atelier/outbound';

/**
 * Webhook targets follow the farm's outbound rules (libs/outbound) with one addition: https only,
 * unless the target (host AND port) is on the operator's allowlist.
 */
export function webhookPolicy(allowlist: OutboundAllowlist): OutboundPolicy {
  return { allowlist, schemes: ['https:'] };
}
