import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '../support/api-client.js';
import {
  SubmissionLoad,
  TINY,
  auditGenerations,
  duplicateSummary,
  errorSummary,
  countOutcomes,
  deliveredEvents,
  printFigures,
  seconds,
  sleep,
  startFaultFarm,
  within,
  type FaultFarm,
  type SubmitOutcome,
} from '../support/fault-kit.js';

const REQUEST_TIMEOUT_MS = 15_000;
/** Long enough for the clients' reconnect backoff to reach its cap. */
const OUTAGE_MS = 8_000;

describe('fault: Redis restarted mid-load (AOF everysec)', { timeout: 300_000 }, () => {
  let fault: FaultFarm;

  before(async () => {
    fault = await startFaultFarm({ workers: 1, persistentRedis: true });
  });
  after(async () => {
    await fault?.stop();
  });

  it('answers 503 while Redis is down, recovers by itself, and completes every accepted job', async () => {
    const redis = fault.farm.redis;
    assert.ok(redis, 'the farm runs its own Redis');
    let seed = 0;
    const load = new SubmissionLoad(
      () => ({ baseUrl: fault.farm.apiUrl, apiKey: fault.farm.apiKey }),
      () => ({ ...TINY, seed: seed++, webhook: { url: fault.receiver.url } }),
      { lanes: 2, pauseMs: 150, timeoutMs: REQUEST_TIMEOUT_MS },
    );
    await waitUntil(() => load.accepted().length >= 5, 30_000, 'accepted submissions before the outage');

    const haltedAt = Date.now();
    await redis.halt();
    const haltMs = Date.now() - haltedAt;
    await waitUntil(() => load.outcomes.filter((outcome) => outcome.at > haltedAt + haltMs && outcome.kind !== 'accepted').length >= 4, 60_000, '503s during the outage');
    await sleep(Math.max(0, haltedAt + OUTAGE_MS - Date.now()));
    const restartedAt = Date.now();
    await redis.start();
    const restartMs = Date.now() - restartedAt;
    let recoveredAt = 0;
    await waitUntil(
      () => {
        const first = load.outcomes.find((outcome) => outcome.kind === 'accepted' && outcome.at >= restartedAt);
        if (first) recoveredAt = first.at + first.ms;
        return load.outcomes.filter((outcome) => outcome.kind === 'accepted' && outcome.at >= restartedAt).length >= 5;
      },
      60_000,
      'accepted submissions after Redis came back',
    );
    await load.stop();

    const phase = (outcome: SubmitOutcome): 'before' | 'during' | 'after' => (outcome.at < haltedAt ? 'before' : outcome.at < restartedAt + restartMs ? 'during' : 'after');
    const during = load.outcomes.filter((outcome) => phase(outcome) === 'during');
    const refused = load.outcomes.filter((outcome): outcome is Extract<SubmitOutcome, { kind: 'refused' }> => outcome.kind === 'refused');
    const accepted = load.accepted();
    const audit = await auditGenerations(fault, load.outcomes.length, accepted, { settleMs: 180_000 });
    const counts = countOutcomes(load.outcomes);
    const acceptedIn = (name: 'before' | 'during' | 'after'): number => load.outcomes.filter((outcome) => outcome.kind === 'accepted' && phase(outcome) === name).length;
    printFigures('Redis halted (SIGTERM, AOF flushed) and restarted under load', {
      ...audit.figures,
      'duplicates': duplicateSummary(audit),
      errors: errorSummary(audit),
      'accepted before / during / after': `${acceptedIn('before')} / ${acceptedIn('during')} / ${acceptedIn('after')}`,
      '503 answers': refused.filter((outcome) => outcome.status === 503).length,
      'other refusals': refused.filter((outcome) => outcome.status !== 503).length,
      'connection errors': counts.connection_error,
      'timeouts (no answer)': counts.timeout,
      'Redis down for': seconds(restartedAt + restartMs - haltedAt),
      'slowest answer during the outage': `${Math.max(0, ...during.map((outcome) => outcome.ms))} ms`,
      'Redis back → first 202': seconds(recoveredAt - (restartedAt + restartMs)),
      'slowest end-to-end': seconds(Math.max(0, ...audit.generations.map((entry) => entry.view?.timings.total_ms ?? 0))),
    });

    assert.equal(counts.timeout, 0, 'every request answered within the timeout');
    assert.equal(counts.connection_error, 0, 'the API stays up while Redis is down');
    assert.ok(refused.some((outcome) => outcome.status === 503), 'requests during the outage are refused with 503');
    for (const outcome of refused) {
      assert.equal(outcome.status, 503, `only 503 while Redis is down: ${outcome.status} ${outcome.body}`);
      assert.match(outcome.contentType, /application\/json/);
      const body = JSON.parse(outcome.body) as { error: { code: string; message: string }; stack?: unknown };
      assert.equal(body.error.code, 'service_unavailable', outcome.body);
      assert.equal(typeof body.error.message, 'string');
      assert.doesNotMatch(outcome.body, /\n\s+at |\.js:\d+|stack/i, 'no stack trace in the answer');
    }
    assert.ok(acceptedIn('after') >= 5, 'the API recovered by itself');
    assert.equal(audit.unverifiedDeliveries, 0);
    assert.equal(audit.figures.lost, 0, 'no accepted job lost');
    assert.equal(audit.figures.duplicated, 0);
    assert.equal(audit.figures.failed, 0);
    assert.equal(audit.figures.succeeded, audit.figures.accepted);
    for (const entry of audit.generations) assert.deepEqual(entry.outputKeys, [`generations/${entry.id}/0.png`]);
  });

  it('a webhook the receiver acknowledged while Redis was down is not delivered again', async () => {
    const redis = fault.farm.redis;
    assert.ok(redis);
    const seed = 424_242;
    const held = fault.receiver.hold((body) => {
      const event = JSON.parse(body) as { type: string; data?: { parameters?: { seed?: number } } };
      return event.type === 'generation.succeeded' && event.data?.parameters?.seed === seed;
    });
    const created = await fault.api.request<{ id: string }>('POST', '/v1/generations', { ...TINY, seed, webhook: { url: fault.receiver.url, events: ['generation.succeeded'] } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.id;
    await within(held.arrived, 60_000, 'the generation.succeeded delivery');

    // The dispatcher is waiting for the receiver's answer: Redis goes away, then the receiver says 204.
    const haltedAt = Date.now();
    await redis.halt();
    held.release(204);
    await sleep(3_000);
    await redis.start();
    const restartedAt = Date.now();
    // Well past the retry ladder (200, 400, 800, 1600 ms): a retry would have been delivered by now.
    await sleep(8_000);

    const deliveries = deliveredEvents(fault.receiver).filter((event) => event.generationId === id && event.type === 'generation.succeeded');
    const attempts = (await fault.api.request<{ webhook_deliveries: Array<{ attempt: number; outcome: string; status: number | null }> }>('GET', `/v1/generations/${id}`)).body
      .webhook_deliveries;
    printFigures('webhook acknowledged (204) while Redis was down', {
      'deliveries received': deliveries.length,
      'distinct webhook-ids': new Set(deliveries.map((event) => event.messageId)).size,
      'attempts recorded by the dispatcher': attempts.map((attempt) => `#${attempt.attempt} ${attempt.outcome} ${attempt.status ?? ''}`.trim()).join(', ') || 'none',
      'Redis down for': seconds(restartedAt - haltedAt),
    });
    assert.equal(deliveries.length, 1, 'a delivery the receiver acknowledged is not sent again');
  });
});
