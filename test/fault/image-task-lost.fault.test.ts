import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodePng } from '@atelier/diffusion';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

interface TaskView {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
}

/**
 * Every worker started with this fault point kills itself (SIGKILL) right after it moved a
 * preprocess task to running: the task is mid-flight on a dead worker, as exactly as a test can
 * make it. The API has no such transition, so the farm-wide setting only ever fires on workers.
 */
const CRASH_AFTER_START = { ATELIER_FAULT_POINT: 'after-transition:preprocess.started' };

describe('fault: an image task whose workers keep dying ends failed (worker_lost), with one webhook', { timeout: 240_000 }, () => {
  let fixture: FarmFixture;

  before(async () => {
    // A short lock: a dead worker's task is seen as stalled within seconds. JOB_ATTEMPTS=1: BullMQ
    // puts a stalled job back once (maxStalledCount) and fails it on the next stall.
    fixture = await startFarmFixture({ ...CRASH_AFTER_START, WORKER_LOCK_MS: '2000', JOB_ATTEMPTS: '1' }, 1);
  });
  after(async () => {
    await fixture?.stop();
  });

  it('two workers die mid-task, a third sees the second stall: failed worker_lost, preprocess.started and .failed once each', async () => {
    const image = encodePng(new Uint8Array(48 * 48 * 3).fill(77), 48, 48).toString('base64');
    const created = await fixture.api.request<TaskView>('POST', '/v1/preprocess', { image, preprocessor: 'canny', webhook: { url: fixture.receiver.url } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.id;
    const [first] = fixture.farm.workers;
    await waitUntil(() => first.child.exitCode !== null || first.child.signalCode !== null, 60_000, 'the first worker to die mid-task');
    // The second worker (same fault point) finds the stalled task, runs it again and dies too.
    const second = await fixture.farm.addWorker();
    await waitUntil(() => second.child.exitCode !== null || second.child.signalCode !== null, 90_000, 'the second worker to die mid-task');
    assert.equal((await fixture.api.request<TaskView>('GET', `/v1/tasks/${id}`)).body.status, 'running', 'the record still says running: nobody ended it');
    // A healthy worker sees the second stall; BullMQ fails the job without a handler and the runtime ends the record.
    await fixture.farm.addWorker({ ATELIER_FAULT_POINT: '' });
    const ended = await fixture.api.waitFor<TaskView>(`/v1/tasks/${id}`, undefined, 90_000);
    assert.equal(ended.status, 'failed');
    assert.equal(ended.error?.code, 'worker_lost');
    const events = (): string[] =>
      fixture.receiver.received.flatMap((delivery) => {
        const payload = delivery.payload as { type: string; data: { id: string } };
        return payload.data.id === id ? [payload.type] : [];
      });
    await waitUntil(() => events().includes('preprocess.failed'), 20_000, 'the preprocess.failed webhook');
    assert.deepEqual(events().sort(), ['preprocess.failed', 'preprocess.started'], 'one started (first attempt only) and one failed');
  });
});
