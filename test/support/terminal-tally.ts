import type { TestApiClient } from './api-client.js';

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

export interface Tally {
  readonly accepted: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly canceled: number;
  /** Accepted (202) but never seen in a terminal state before the deadline, or no longer found. */
  readonly lost: number;
  readonly statuses: Readonly<Record<string, string>>;
}

/**
 * Polls every accepted generation until each is terminal or the deadline passes. Errors and 5xx
 * while Redis fails over are expected and simply retried: only the final state counts.
 */
export async function tallyTerminal(api: TestApiClient, ids: readonly string[], timeoutMs: number): Promise<Tally> {
  const statuses: Record<string, string> = Object.fromEntries(ids.map((id) => [id, 'unknown']));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && ids.some((id) => !TERMINAL.has(statuses[id]))) {
    for (const id of ids.filter((pending) => !TERMINAL.has(statuses[pending]))) {
      const response = await api.request<{ status: string }>('GET', `/v1/generations/${id}`).catch(() => undefined);
      if (response?.status === 200) statuses[id] = response.body.status;
      else if (response?.status === 404) statuses[id] = 'not_found';
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const count = (status: string): number => ids.filter((id) => statuses[id] === status).length;
  return {
    accepted: ids.length,
    succeeded: count('succeeded'),
    failed: count('failed'),
    canceled: count('canceled'),
    lost: ids.filter((id) => !TERMINAL.has(statuses[id])).length,
    statuses,
  };
}

export function printTally(title: string, tally: Tally, unavailable?: number): void {
  const rows: Array<[string, number]> = [
    ['accepted', tally.accepted],
    ['succeeded', tally.succeeded],
    ['failed', tally.failed],
    ['canceled', tally.canceled],
    ['lost', tally.lost],
    ...(unavailable === undefined ? [] : [['503 retried', unavailable] as [string, number]]),
  ];
  console.log([`\n${title}`, ...rows.map(([name, value]) => `  ${name.padEnd(10)} ${String(value).padStart(4)}`)].join('\n'));
}

/**
 * Submits as a well-behaved client does across a Redis failover: a 503 (Redis unreachable, nothing
 * accepted) is retried (after its Retry-After, capped at a second to keep the test short) for at
 * most `withinMs`; any other answer is returned. Counts the 503s so the test can print them.
 */
export async function submitThroughFailover(api: TestApiClient, body: unknown, withinMs = 60_000): Promise<{ status: number; id?: string; body: unknown; unavailable: number }> {
  const deadline = Date.now() + withinMs;
  let unavailable = 0;
  for (;;) {
    const response = await api.request<{ id?: string }>('POST', '/v1/generations', body);
    if (response.status !== 503 || Date.now() > deadline) return { status: response.status, id: response.body.id, body: response.body, unavailable };
    unavailable++;
    const retryAfterSeconds = Number(response.headers.get('retry-after') ?? '1');
    await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfterSeconds, 1) * 1000));
  }
}
