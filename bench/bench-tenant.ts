import type { LocalFarm } from '@atelier/local-services';

export type Headers = Record<string, string>;

/**
 * A tenant made for a bench run through the admin API, as an operator would: its own key, and
 * limits raised to fit the load (the farm defaults, e.g. 600 requests per minute, guard real
 * tenants and would refuse the bench's thousands of requests).
 */
export async function benchTenant(farm: LocalFarm, tenant: string): Promise<Headers> {
  const admin = { authorization: `Bearer ${farm.apiKey}`, 'content-type': 'application/json' };
  const created = await fetch(`${farm.apiUrl}/v1/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ tenant, scopes: ['generate'], name: 'bench' }) });
  if (created.status !== 201 && created.status !== 200) throw new Error(`creating the bench key answered ${created.status}: ${await created.text()}`);
  const { key } = (await created.json()) as { key: string };
  const limits = { requests_per_minute: 10_000_000, max_queued_jobs: 10_000_000, max_running_jobs: 10_000, max_batch_size: 10_000 };
  const patched = await fetch(`${farm.apiUrl}/v1/admin/tenants/${tenant}/limits`, { method: 'PATCH', headers: admin, body: JSON.stringify(limits) });
  if (!patched.ok) throw new Error(`raising the bench tenant's limits answered ${patched.status}: ${await patched.text()}`);
  return { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
}
