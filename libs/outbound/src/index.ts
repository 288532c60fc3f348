export { isForbiddenAddress, isForbiddenHostname } from './address-policy.js';
export { allowlistProblem, effectivePort, OutboundAllowlist } from './allowlist.js';
export { guardedFetch, type GuardedFetchOptions, type GuardedResponse } from './guarded-fetch.js';
export { OutboundError, POLICY_REFUSALS, type OutboundErrorCode } from './outbound-error.js';
export { checkOutboundUrl, type OutboundPolicy, type OutboundScheme } from './outbound-url.js';
export { pinAddress, pinnedLookup, systemResolver, type ResolvedAddress, type Resolver } from './pinned-address.js';
export { redactUrl } from './redact-url.js';
export { farmPolicies, type AllowlistEnvironment, type FarmPolicies } from './farm-policies.js';
