import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { SLOW, TINY, auditGenerations, duplicateSummary, errorSummary, printFigures, seconds, sleep, startFaultFarm, type FaultFarm } from '../support/fault-kit.js';

const OUTAGE_MS = 30_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('fault: object storage down for 30 s', { timeout: 300_000 }, () => {
  let fault: FaultFarm;

  before(async () => {
    fault = await startFaultFarm({ workers: 1 });
  });
  after(async () => {
    await fault?.stop();
  });

  it('jobs submitted before and during the outage succeed afterwards and their outputs are fetchable', async () => {
    const webhook = { url: fault.receiver.url };
    const submit = async (body: object): Promise<string> => {
      const created = await fault.api.request<GenerationView>('POST', '/v1/generations', { ...body, webhook });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      return created.body.id;
    };
    // Before: one job mid-inference when storage goes away, and a few queued behind it.
    const midFlight = await submit({ ...SLOW, img_width: 1024, img_height: 1024, num_inference_steps: 150 });
    const before: string[] = [midFlight];
    for (let index = 0; index < 3; index++) before.push(await submit({ ...TINY, seed: index }));
    await fault.api.waitFor<GenerationView>(`/v1/generations/${midFlight}`, (body) => body.status === 'running' && body.progress.step >= 1, 60_000);

    const haltedAt = Date.now();
    await fault.s3.halt();
    const during: string[] = [];
    for (let index = 0; index < 4; index++) {
      during.push(await submit({ ...TINY, seed: 100 + index }));
      await sleep(2_000);
    }
    await sleep(Math.max(0, haltedAt + OUTAGE_MS - Date.now()));
    // Nothing gave up while storage was away.
    const atRestart: GenerationView[] = [];
    for (const id of [...before, ...during]) atRestart.push((await fault.api.request<GenerationView>('GET', `/v1/generations/${id}`)).body);
    const restartedAt = Date.now();
    await fault.s3.start();

    const ids = [...before, ...during];
    const audit = await auditGenerations(fault, ids.length, ids, { settleMs: 180_000 });
    let fetched = 0;
    for (const entry of audit.generations) {
      for (const output of entry.view?.outputs ?? []) {
        assert.ok(output.url, 'a presigned URL');
        const response = await fetch(output.url, { signal: AbortSignal.timeout(15_000) });
        assert.equal(response.status, 200, output.url);
        const bytes = Buffer.from(await response.arrayBuffer());
        assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE);
        fetched++;
      }
    }
    const finishedAt = Math.max(...audit.generations.map((entry) => (entry.view?.finished_at ? Date.parse(entry.view.finished_at) : 0)));
    printFigures('object storage (s3rver) down for 30 s, same port and data directory', {
      ...audit.figures,
      'duplicates': duplicateSummary(audit),
      errors: errorSummary(audit),
      'accepted before / during': `${before.length} / ${during.length}`,
      'status when storage returned': ['queued', 'running', 'succeeded', 'failed']
        .map((status) => `${status} ${atRestart.filter((view) => view.status === status).length}`)
        .join(', '),
      'storage down for': seconds(restartedAt - haltedAt),
      'storage back → all succeeded': seconds(finishedAt - restartedAt),
      'longest upload_ms': `${Math.max(...audit.generations.map((entry) => entry.view?.timings.upload_ms ?? 0))} ms`,
      'outputs fetched (presigned GET)': fetched,
    });

    assert.equal(atRestart.filter((view) => view.status === 'failed').length, 0, 'no job failed during the outage');
    assert.ok(atRestart.some((view) => view.status !== 'succeeded'), 'the outage held some jobs back');
    assert.equal(audit.unverifiedDeliveries, 0);
    assert.equal(audit.figures.lost, 0);
    assert.equal(audit.figures.duplicated, 0);
    assert.equal(audit.figures.failed, 0);
    assert.equal(audit.figures.succeeded, ids.length);
    assert.equal(fetched, ids.length, 'every output fetchable');
    for (const entry of audit.generations) {
      assert.deepEqual(entry.outputKeys, [`generations/${entry.id}/0.png`]);
      assert.equal(entry.terminalDeliveries, 1);
    }
  });
});
