import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrainingStatus, WebhookEvent } from '@atelier/contracts';
import { TrainingLifecycle, type TrainingTransitions } from './training-lifecycle.js';

/** training-store.ts's transition rules in memory: each applied move appends its event in the same step. */
class InMemoryTrainings implements TrainingTransitions {
  readonly status = new Map<string, TrainingStatus>();
  readonly attempts = new Map<string, number>();
  readonly events: string[] = [];

  private move(id: string, to: TrainingStatus, from: readonly TrainingStatus[], event: string | undefined): boolean {
    const previous = this.status.get(id);
    if (previous === undefined || !from.includes(previous)) return false;
    this.status.set(id, to);
    if (event) this.events.push(event);
    return true;
  }

  async markRunning(id: string, _workerId: string, attempt: number): Promise<boolean> {
    this.attempts.set(id, attempt);
    return this.move(id, TrainingStatus.Running, [TrainingStatus.Queued, TrainingStatus.Running], attempt === 1 ? WebhookEvent.TrainingStarted : undefined);
  }

  async markSucceeded(id: string): Promise<boolean> {
    return this.move(id, TrainingStatus.Succeeded, [TrainingStatus.Running], WebhookEvent.TrainingSucceeded);
  }

  async markFailed(id: string): Promise<boolean> {
    return this.move(id, TrainingStatus.Failed, [TrainingStatus.Queued, TrainingStatus.Running], WebhookEvent.TrainingFailed);
  }

  async markCanceled(id: string): Promise<boolean> {
    return this.move(id, TrainingStatus.Canceled, [TrainingStatus.Queued, TrainingStatus.Running], WebhookEvent.TrainingCanceled);
  }

  async appendProgressEvent(id: string): Promise<boolean> {
    if (this.status.get(id) !== TrainingStatus.Running) return false;
    this.events.push(WebhookEvent.TrainingProgress);
    return true;
  }
}

describe('TrainingLifecycle (the owner of training transitions; in-memory store)', () => {
  it('moves queued → running → succeeded with one event per move; started on the first attempt only', async () => {
    const store = new InMemoryTrainings();
    store.status.set('t1', TrainingStatus.Queued);
    const lifecycle = new TrainingLifecycle(store);
    assert.equal(await lifecycle.start('t1', 'w', 1), true);
    assert.equal(await lifecycle.start('t1', 'w', 2), true, 'a resumed attempt');
    assert.equal(await lifecycle.progress('t1'), true);
    assert.equal(await lifecycle.succeed('t1', { key: 'k', sha256: 's', size: 1 }, 'lora:x'), true);
    assert.equal(await lifecycle.cancel('t1'), false, 'a finished training is not canceled');
    assert.deepEqual(store.events, [WebhookEvent.TrainingStarted, WebhookEvent.TrainingProgress, WebhookEvent.TrainingSucceeded]);
  });

  it('cancels a queued training with its training.canceled event; a second cancel applies nothing', async () => {
    const store = new InMemoryTrainings();
    store.status.set('t2', TrainingStatus.Queued);
    const lifecycle = new TrainingLifecycle(store);
    assert.equal(await lifecycle.cancel('t2'), true);
    assert.equal(await lifecycle.cancel('t2'), false);
    assert.equal(await lifecycle.fail('t2', { code: 'x', message: 'y' }), false);
    assert.deepEqual(store.events, [WebhookEvent.TrainingCanceled]);
  });
});
