import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { waitUntil } from '../support/api-client.js';
import { TINY, auditGenerations, duplicateSummary, deliveredEvents, printFigures, seconds, settle, sleep, startFaultFarm, type FaultFarm } from '../support/fault-kit.js';

interface Attempt {
  readonly event: string;
  readonly outcome: string;
}

const OUTAGE_MS = 8_000;

describe('fault: webhook receiver down, then back', { timeout: 300_000 }, () => {
  let fault: FaultFarm;

  before(async () => {
    // A short ladder that keeps retrying (the last step repeats) for well over the outage.
    fault = await startFaultFarm({ workers: 1, env: { WEBHOOK_RETRY_SCHEDULE_MS: '250,500,1000', WEBHOOK_MAX_ATTEMPTS: '20' } });
  });
  after(async () => {
    await fault?.stop();
  });

  it('delivers every event once the receiver returns, each terminal event exactly once', async () => {
    const webhook = { url: fault.receiver.url };
    const submit = async (seed: number): Promise<string> => {
      const created = await fault.api.request<GenerationView>('POST', '/v1/generations', { ...TINY, seed, webhook });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      return created.body.id;
    };
    const attemptsOf = async (id: string): Promise<Attempt[]> =>
      (await fault.api.request<{ webhook_deliveries: Attempt[] }>('GET', `/v1/generations/${id}`)).body.webhook_deliveries;

    const before = [await submit(1), await submit(2)];
    await settle(fault.api, before, 60_000);
    await waitUntil(() => before.every((id) => deliveredEvents(fault.receiver).some((event) => event.generationId === id && event.type === 'generation.succeeded')), 30_000, 'deliveries before the outage');

    const stoppedAt = Date.now();
    await fault.receiver.stop();
    const during: string[] = [];
    for (let seed = 10; seed < 16; seed++) during.push(await submit(seed));
    const duringViews = await settle(fault.api, during, 120_000);
    assert.ok([...duringViews.values()].every((view) => view?.status === 'succeeded'), 'the generations themselves do not wait for webhooks');
    await sleep(Math.max(0, stoppedAt + OUTAGE_MS - Date.now()));
    const failedAttempts = (await Promise.all(during.map(attemptsOf))).flat().filter((attempt) => attempt.outcome === 'retrying').length;
    const deliveredWhileDown = deliveredEvents(fault.receiver).filter((event) => during.includes(event.generationId ?? '')).length;

    const restartedAt = Date.now();
    await fault.receiver.start();
    const ids = [...before, ...during];
    const complete = (id: string): boolean => {
      const types = deliveredEvents(fault.receiver).filter((event) => event.generationId === id && event.answered < 300).map((event) => event.type);
      return types.includes('generation.started') && types.includes('generation.succeeded');
    };
    await waitUntil(() => ids.every(complete), 60_000, 'every event delivered after the receiver returned');
    const allDeliveredAt = Date.now();
    const audit = await auditGenerations(fault, ids.length, ids, { graceMs: 3_000 });
    const letters = await fault.api.request<{ data: Array<{ subject: { id: string } }> }>('GET', '/v1/webhooks/dead-letters');
    const deadLettered = letters.body.data.filter((letter) => ids.includes(letter.subject.id)).length;
    const events = deliveredEvents(fault.receiver).filter((event) => ids.includes(event.generationId ?? ''));
    printFigures('webhook receiver down for 8 s, then back on the same port', {
      ...audit.figures,
      'duplicates': duplicateSummary(audit),
      'accepted before / during': `${before.length} / ${during.length}`,
      'failed delivery attempts while down': failedAttempts,
      'events delivered after return': events.filter((event) => event.answered < 300).length - 2 * before.length,
      'receiver down for': seconds(restartedAt - stoppedAt),
      'receiver back → all delivered': seconds(allDeliveredAt - restartedAt),
      'dead letters': deadLettered,
    });

    assert.equal(deliveredWhileDown, 0);
    assert.ok(failedAttempts > 0, 'deliveries were attempted and retried during the outage');
    assert.equal(deadLettered, 0, 'nothing given up');
    assert.equal(audit.unverifiedDeliveries, 0);
    for (const entry of audit.generations) {
      assert.equal(entry.terminalDeliveries, 1, `one generation.succeeded for ${entry.id}`);
      assert.equal(entry.startedDeliveries, 1, `one generation.started for ${entry.id}`);
    }
    const perMessage = new Map<string, number>();
    for (const event of events) if (event.answered < 300) perMessage.set(event.messageId, (perMessage.get(event.messageId) ?? 0) + 1);
    assert.ok([...perMessage.values()].every((count) => count === 1), 'no message delivered twice');
    assert.equal(audit.figures.lost, 0);
    assert.equal(audit.figures.duplicated, 0);
    assert.equal(audit.figures.succeeded, ids.length);
  });
});
