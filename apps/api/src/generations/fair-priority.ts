import { JobPriority } from '@atelier/contracts';

/** BullMQ's largest priority. */
const MAX_PRIORITY = 2 ** 21 - 1;

/**
 * Round-robin between tenants through priorities: a job's priority is its class base plus how
 * many jobs its tenant already has outstanding. Tenant A's 10,000th queued image waits behind
 * tenant B's first, so one big batch cannot starve anyone; interactive requests (base 1) stay
 * ahead of batch work (base Batch) as long as a tenant has fewer outstanding jobs than the gap.
 */
export function fairPriority(kind: 'interactive' | 'batch', outstandingBefore: number, index = 0): number {
  const base = kind === 'interactive' ? JobPriority.Interactive : JobPriority.Batch;
  const ceiling = kind === 'interactive' ? JobPriority.Batch - 1 : MAX_PRIORITY;
  return Math.min(ceiling, base + outstandingBefore + index);
}
