import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { findFreePort, spawnRole, waitForHttp, type RoleProcess } from '@atelier/local-services';
import { waitUntil } from '../support/api-client.js';
import {
  SubmissionLoad,
  TINY,
  auditGenerations,
  countOutcomes,
  deliveredEvents,
  duplicateSummary,
  errorSummary,
  pooledPost,
  printFigures,
  seconds,
  sleep,
  startFaultFarm,
  type FaultFarm,
  type PooledOutcome,
  type SubmitOutcome,
} from '../support/fault-kit.js';

const REQUEST_TIMEOUT_MS = 15_000;
/** How long a SIGTERMed API may take to finish its in-flight requests and exit. */
const SHUTDOWN_BOUND_MS = 10_000;

describe('fault: API process restarted under load', { timeout: 300_000 }, () => {
  let fault: FaultFarm;
  const extraApis: RoleProcess[] = [];
  const output = process.env.E2E_VERBOSE ? process.stderr : undefined;

  before(async () => {
    fault = await startFaultFarm({ workers: 1 });
  });
  after(async () => {
    await Promise.allSettled(extraApis.map((api) => api.stop('SIGKILL')));
    await fault?.stop();
  });

  it('every request that got a 202 completes; requests in the gap fail to connect', async () => {
    let seed = 0;
    const load = new SubmissionLoad(
      () => ({ baseUrl: fault.farm.apiUrl, apiKey: fault.farm.apiKey }),
      () => ({ ...TINY, seed: seed++, webhook: { url: fault.receiver.url } }),
      { lanes: 2, pauseMs: 100, timeoutMs: REQUEST_TIMEOUT_MS },
    );
    await waitUntil(() => load.accepted().length >= 8, 30_000, 'accepted submissions before the restart');

    const stoppingAt = Date.now();
    // Graceful stop, then SIGKILL after 15 s as an orchestrator would (see the keep-alive test below).
    await fault.farm.api.stop('SIGTERM', SHUTDOWN_BOUND_MS + 5_000);
    const exitCode = await fault.farm.api.exited;
    // Nest re-raises the signal after its shutdown hooks ran: a clean stop ends with SIGTERM, not SIGKILL.
    const exitSignal = fault.farm.api.child.signalCode;
    const stoppedAt = Date.now();
    const replacement = spawnRole('api', { env: fault.farm.env, output, label: 'api-2' });
    extraApis.push(replacement);
    await waitForHttp(`${fault.farm.apiUrl}/readyz`, 60_000, () => replacement.child.exitCode === null);
    const readyAt = Date.now();
    await waitUntil(() => load.outcomes.filter((outcome) => outcome.kind === 'accepted' && outcome.at >= readyAt).length >= 8, 60_000, 'accepted submissions after the restart');
    await load.stop();

    const counts = countOutcomes(load.outcomes);
    const refused = load.outcomes.filter((outcome): outcome is Extract<SubmitOutcome, { kind: 'refused' }> => outcome.kind === 'refused');
    const reasons = [...new Set(load.outcomes.flatMap((outcome) => (outcome.kind === 'connection_error' ? [outcome.reason] : [])))];
    const acceptedAfter = load.outcomes.filter((outcome) => outcome.kind === 'accepted' && outcome.at >= stoppingAt).length;
    const acceptedByOld = load.outcomes.filter((outcome) => outcome.kind === 'accepted' && outcome.at >= stoppingAt && outcome.at + outcome.ms <= stoppedAt).length;
    const firstAfterGap = load.outcomes.find((outcome) => outcome.kind === 'accepted' && outcome.at >= stoppedAt);
    const accepted = load.accepted();
    const audit = await auditGenerations(fault, load.outcomes.length, accepted, { settleMs: 180_000 });
    // Generations that ran although their client saw an error (the request was cut after the job was written).
    const acceptedSet = new Set(accepted);
    const unacknowledged = new Set(deliveredEvents(fault.receiver).flatMap((event) => (event.generationId && !acceptedSet.has(event.generationId) ? [event.generationId] : []))).size;
    printFigures('API stopped (SIGTERM) and a new API process started on the same port, under load', {
      ...audit.figures,
      duplicates: duplicateSummary(audit),
      errors: errorSummary(audit),
      'accepted before / after SIGTERM': `${counts.accepted - acceptedAfter} / ${acceptedAfter}`,
      'accepted by the old process after SIGTERM': acceptedByOld,
      'connection errors (not accepted)': `${counts.connection_error} (${reasons.join(', ') || 'none'})`,
      'ran although the client got an error': unacknowledged,
      'other refusals': refused.map((outcome) => outcome.status).join(', ') || 0,
      'timeouts (no answer)': counts.timeout,
      'old API exit': exitSignal ?? `code ${exitCode}`,
      'SIGTERM → exited': seconds(stoppedAt - stoppingAt),
      'new process → ready': seconds(readyAt - stoppedAt),
      'SIGTERM → first 202 from the new process': firstAfterGap ? seconds(firstAfterGap.at + firstAfterGap.ms - stoppingAt) : 'n/a',
    });

    assert.equal(counts.timeout, 0, 'no request hangs');
    assert.ok(counts.connection_error > 0, 'some requests met the gap');
    assert.deepEqual(
      refused.map((outcome) => `${outcome.status} ${outcome.body}`),
      [],
      'requests either get a 202 or fail to connect',
    );
    assert.equal(audit.unverifiedDeliveries, 0);
    assert.equal(audit.figures.lost, 0, 'every 202 completes');
    assert.equal(audit.figures.duplicated, 0);
    assert.equal(audit.figures.failed, 0);
    assert.equal(audit.figures.succeeded, audit.figures.accepted);
    for (const entry of audit.generations) {
      assert.deepEqual(entry.outputKeys, [`generations/${entry.id}/0.png`]);
      assert.equal(entry.terminalDeliveries, 1);
    }
  });

  it('SIGTERM with a request in flight on a keep-alive connection: the request completes and the process still exits', async () => {
    const port = await findFreePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const api = spawnRole('api', { env: { ...fault.farm.env, PORT: String(port), PUBLIC_URL: baseUrl }, output, label: 'api-3' });
    extraApis.push(api);
    await waitForHttp(`${baseUrl}/readyz`, 60_000, () => api.child.exitCode === null);
    await sleep(1_500); // the live-worker cache

    // One pooled connection, as a load balancer or an SDK keeps it.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const body = { ...TINY, seed: 9_001, webhook: { url: fault.receiver.url } };
    assert.equal(((await pooledPost(agent, baseUrl, fault.farm.apiKey, body)) as { status: number }).status, 202, 'warm-up on the pooled connection');
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const inFlight = pooledPost(agent, baseUrl, fault.farm.apiKey, body, gate);
    await sleep(300);
    const signalledAt = Date.now();
    api.child.kill('SIGTERM');
    await sleep(300);
    openGate();
    const first = await inFlight;
    // The listener is closed by then (shutdown has begun): a new connection is refused.
    const fresh = new http.Agent({ keepAlive: false });
    const freshConnection = await pooledPost(fresh, baseUrl, fault.farm.apiKey, body);
    fresh.destroy();

    // The client keeps using its connection, as pooled clients do, until the process is gone.
    const afterSignal: PooledOutcome[] = [];
    let exitedAt = 0;
    void api.exited.then(() => (exitedAt = Date.now()));
    while (!exitedAt && Date.now() - signalledAt < SHUTDOWN_BOUND_MS) {
      afterSignal.push(await pooledPost(agent, baseUrl, fault.farm.apiKey, body));
      await sleep(250);
    }
    agent.destroy();
    const exitedWithinBound = exitedAt > 0;
    const servedAfter = afterSignal.filter((outcome) => 'status' in outcome && outcome.status === 202).length;
    printFigures('SIGTERM while a keep-alive connection has a request in flight', {
      'in-flight request': 'status' in first ? `${first.status} (Connection: ${first.connection || 'keep-alive'})` : first.error,
      'a new connection after SIGTERM': 'status' in freshConnection ? String(freshConnection.status) : freshConnection.error,
      'requests accepted on the kept-alive connection after SIGTERM': servedAfter,
      'other answers after SIGTERM': afterSignal.map((outcome) => ('status' in outcome ? String(outcome.status) : outcome.error)).filter((answer) => answer !== '202').join(', ') || 'none',
      'SIGTERM → exited': exitedAt ? seconds(exitedAt - signalledAt) : `not within ${seconds(SHUTDOWN_BOUND_MS)}`,
    });
    if (!exitedWithinBound) await api.stop('SIGKILL');

    assert.ok('status' in first && first.status === 202, `the in-flight request completes: ${JSON.stringify(first)}`);
    assert.ok(exitedWithinBound, `the API exits within ${SHUTDOWN_BOUND_MS} ms of SIGTERM although a client keeps its connection open (it accepted ${servedAfter} more requests meanwhile)`);
  });
});
