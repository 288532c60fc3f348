import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawnRole, waitForHttp, type RoleProcess } from '#libs/local-services/src/index.js';
import { waitUntil } from '../support/api-client.js';
import { SubmissionLoad, TINY, auditGenerations, duplicateSummary, errorSummary, countOutcomes, printFigures, seconds, startFaultFarm, type FaultFarm, type SubmitOutcome } from '../support/fault-kit.js';

const REQUEST_TIMEOUT_MS = 15_000;

describe('fault: API process restarted under load', { timeout: 300_000 }, () => {
  let fault: FaultFarm;
  let replacement: RoleProcess | undefined;

  before(async () => {
    fault = await startFaultFarm({ workers: 1 });
  });
  after(async () => {
    await replacement?.stop();
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
    await fault.farm.api.stop('SIGTERM');
    const exitCode = await fault.farm.api.exited;
    // Nest re-raises the signal after its shutdown hooks ran: a clean stop ends with SIGTERM, not SIGKILL.
    const exitSignal = fault.farm.api.child.signalCode;
    const stoppedAt = Date.now();
    replacement = spawnRole('api', { env: fault.farm.env, output: process.env.E2E_VERBOSE ? process.stderr : undefined, label: 'api-2' });
    const child = replacement.child;
    await waitForHttp(`${fault.farm.apiUrl}/readyz`, 60_000, () => child.exitCode === null);
    const readyAt = Date.now();
    await waitUntil(() => load.outcomes.filter((outcome) => outcome.kind === 'accepted' && outcome.at >= readyAt).length >= 8, 60_000, 'accepted submissions after the restart');
    await load.stop();

    const counts = countOutcomes(load.outcomes);
    const refused = load.outcomes.filter((outcome): outcome is Extract<SubmitOutcome, { kind: 'refused' }> => outcome.kind === 'refused');
    const connectionErrors = load.outcomes.filter((outcome) => outcome.kind === 'connection_error');
    const reasons = [...new Set(connectionErrors.map((outcome) => (outcome.kind === 'connection_error' ? outcome.reason : '')))];
    const acceptedAfter = load.outcomes.filter((outcome) => outcome.kind === 'accepted' && outcome.at >= stoppingAt).length;
    const firstAfterGap = load.outcomes.find((outcome) => outcome.kind === 'accepted' && outcome.at >= stoppedAt);
    const audit = await auditGenerations(fault, load.outcomes.length, load.accepted(), { settleMs: 180_000 });
    printFigures('API stopped (SIGTERM) and a new API process started on the same port, under load', {
      ...audit.figures,
      'duplicates': duplicateSummary(audit),
      errors: errorSummary(audit),
      'accepted before / after the restart': `${counts.accepted - acceptedAfter} / ${acceptedAfter}`,
      'connection errors (not accepted)': `${counts.connection_error} (${reasons.join(', ')})`,
      'other refusals': refused.map((outcome) => outcome.status).join(', ') || 0,
      'timeouts (no answer)': counts.timeout,
      'old API exit': exitSignal ?? `code ${exitCode}`,
      'SIGTERM → exited': seconds(stoppedAt - stoppingAt),
      'new process → ready': seconds(readyAt - stoppedAt),
      'SIGTERM → first 202 from the new process': firstAfterGap ? seconds(firstAfterGap.at + firstAfterGap.ms - stoppingAt) : 'n/a',
    });

    assert.ok(exitCode === 0 || exitSignal === 'SIGTERM', `the API stops by itself on SIGTERM (exit ${exitSignal ?? exitCode})`);
    assert.equal(counts.timeout, 0, 'no request hangs');
    assert.ok(counts.connection_error > 0, 'some requests met the gap');
    assert.deepEqual(refused.map((outcome) => `${outcome.status} ${outcome.body}`), [], 'requests either get a 202 or fail to connect');
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
});
