import { checkOutboundUrl, OutboundAllowlist, OutboundError, type OutboundPolicy } from '#libs/outbound/src/index.js';

/**
 * Webhook targets follow the farm's outbound rules (libs/outbound) with one addition: https only,
 * unless the target (host AND port) is on the operator's allowlist.
 */
export function webhookPolicy(allowlist: OutboundAllowlist): OutboundPolicy {
  return { allowlist, schemes: ['https:'] };
}

/** Static checks of a webhook URL; throws `OutboundError` (with a code) naming the problem. */
export function checkWebhookUrl(raw: string, allowlist: OutboundAllowlist): URL {
  return checkOutboundUrl(raw, webhookPolicy(allowlist));
}

/** A comma-separated `host[:port]` list; a bare host means the scheme's default port. */
export function parseAllowedHosts(list: string): OutboundAllowlist {
  return OutboundAllowlist.parse(list);
}

export { OutboundError as ForbiddenWebhookTargetError };
