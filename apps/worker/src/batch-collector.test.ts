import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchCollector, type PullJob } from './batch-collector.js';

interface Queued {
  readonly id: string;
  readonly key: string | undefined;
  readonly images: number;
  /** false: the job ends (canceled, delayed) before it reaches submit. */
  readonly arrives?: boolean;
}

/** A collector whose `run` records each batch and answers every payload with `<payload>@<batch index>`. */
function setup(options: { windowMs?: number; maxImages?: number; concurrency?: number } = {}) {
  const batches: string[][] = [];
  const finishers: Array<() => void> = [];
  let manual = false;
  const collector = new BatchCollector<string, string>({
    windowMs: options.windowMs ?? 5,
    maxImages: options.maxImages ?? 4,
    concurrency: options.concurrency ?? 1,
    run: (payloads) => {
      const index = batches.push([...payloads]) - 1;
      if (!manual) return payloads.map((payload) => Promise.resolve(`${payload}@${index}`));
      const done = new Promise<void>((resolve) => finishers.push(resolve));
      return payloads.map((payload) => done.then(() => `${payload}@${index}`));
    },
  });
  const outcomes = new Map<string, Promise<string>>();
  /** A queue the leader pulls from; each pulled job behaves like the handler: reserve, then submit. */
  const queue = (jobs: Queued[]): { pull: PullJob; pulls: () => number } => {
    let pulls = 0;
    return {
      pulls: () => pulls,
      pull: async () => {
        pulls++;
        const job = jobs.shift();
        if (!job) return undefined;
        return {
          id: job.id,
          start: () => {
            setImmediate(() => {
              collector.reserve(job.id, job.key, job.images);
              if (job.arrives === false) {
                setImmediate(() => collector.left(job.id));
                return;
              }
              setImmediate(() => outcomes.set(job.id, collector.submit(job.id, job.key, job.images, job.id)));
            });
          },
        };
      },
    };
  };
  const holdRuns = (): void => {
    manual = true;
  };
  return { collector, batches, outcomes, queue, holdRuns, finishers };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

/** A pulled job's result once its handler has submitted it (under load that takes more than one settle). */
async function outcomeOf(outcomes: Map<string, Promise<string>>, id: string): Promise<string | undefined> {
  for (let waited = 0; !outcomes.has(id) && waited < 10_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
  return outcomes.get(id);
}

describe('BatchCollector (grouping queued jobs into one UNet batch)', () => {
  it('a lone job runs alone after looking for companions for the window', async () => {
    const { collector, batches, queue } = setup();
    const { pull, pulls } = queue([]);
    assert.equal(await collector.submit('a', 'k', 1, 'a', pull), 'a@0');
    assert.deepEqual(batches, [['a']]);
    assert.ok(pulls() >= 1);
  });

  it('compatible queued jobs join the leader in one batch, in queue order; each gets its own result', async () => {
    const { collector, batches, outcomes, queue } = setup({ windowMs: 1_000 });
    const { pull, pulls } = queue([
      { id: 'b', key: 'k', images: 1 },
      { id: 'c', key: 'k', images: 2 },
    ]);
    // The leader has 1 image, b 1, c 2: the batch is full at 4 and pulling stops at once.
    assert.equal(await collector.submit('a', 'k', 1, 'a', pull), 'a@0');
    await settle();
    assert.deepEqual(batches, [['a', 'b', 'c']]);
    assert.equal(await outcomeOf(outcomes, 'b'), 'b@0');
    assert.equal(await outcomeOf(outcomes, 'c'), 'c@0');
    assert.equal(pulls(), 2, 'no pull once the batch is full');
  });

  it('never merges an incompatible job: the first one ends the search and runs on its own afterwards', async () => {
    const { collector, batches, outcomes, queue } = setup({ windowMs: 1_000 });
    const { pull, pulls } = queue([
      { id: 'b', key: 'k', images: 1 },
      { id: 'x', key: 'other', images: 1 },
      { id: 'c', key: 'k', images: 1 },
    ]);
    assert.equal(await collector.submit('a', 'k', 1, 'a', pull), 'a@0');
    await settle();
    assert.equal(await outcomeOf(outcomes, 'x'), 'x@1');
    assert.deepEqual(batches, [['a', 'b'], ['x']]);
    assert.equal(pulls(), 2, 'c stays in the queue');
  });

  it('jobs that always run alone (no key) or that would overflow the batch are not merged', async () => {
    for (const blocker of [
      { id: 'x', key: undefined, images: 1 },
      { id: 'x', key: 'k', images: 2 },
    ]) {
      const { collector, batches, outcomes, queue } = setup({ windowMs: 1_000, maxImages: 4 });
      const { pull } = queue([blocker]);
      assert.equal(await collector.submit('a', 'k', 3, 'a', pull), 'a@0');
      await settle();
      assert.equal(await outcomeOf(outcomes, 'x'), 'x@1');
      assert.deepEqual(batches, [['a'], ['x']]);
    }
    const { collector, batches } = setup({ windowMs: 1_000 });
    const { pull, pulls } = setup().queue([{ id: 'b', key: 'k', images: 1 }]);
    assert.equal(await collector.submit('a', undefined, 1, 'a', pull), 'a@0');
    assert.deepEqual(batches, [['a']]);
    assert.equal(pulls(), 0, 'a job without a key never pulls');
  });

  it('a pulled job that leaves before submitting (canceled, delayed) frees its seat; the batch does not wait for it', async () => {
    const { collector, batches, outcomes, queue } = setup({ windowMs: 10_000, maxImages: 3 });
    const { pull } = queue([
      { id: 'b', key: 'k', images: 1, arrives: false },
      { id: 'c', key: 'k', images: 1 },
    ]);
    assert.equal(await collector.submit('a', 'k', 1, 'a', pull), 'a@0');
    assert.equal(await outcomeOf(outcomes, 'c'), 'c@0');
    assert.deepEqual(batches, [['a', 'c']]);
  });

  it('runs at most `concurrency` batches at once; the next starts when every job of the running one settled', async () => {
    const { collector, batches, holdRuns, finishers } = setup({ concurrency: 1 });
    holdRuns();
    const first = collector.submit('a', undefined, 1, 'a');
    const second = collector.submit('b', undefined, 1, 'b');
    await settle();
    assert.deepEqual(batches, [['a']]);
    finishers[0]();
    assert.equal(await first, 'a@0');
    await settle();
    assert.deepEqual(batches, [['a'], ['b']]);
    finishers[1]();
    assert.equal(await second, 'b@1');
  });
});
