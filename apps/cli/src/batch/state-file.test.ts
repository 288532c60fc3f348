import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STATE_FILE_NAME, StateFile, newBatchState } from './state-file.js';

describe('batch state file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'atelier-state-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('round-trips through disk and leaves no temporary file behind', async () => {
    const state = newBatchState('http://farm', '/in.jsonl');
    const store = new StateFile(dir, state);
    state.lines['3'] = { hash: 'h', status: 'queued', generation_id: 'gen_1', batch_id: 'bat_1', batch_index: 0, updated_at: 'now' };
    await Promise.all([store.flush(), store.flush(), store.flush()]);
    state.lines['3'] = { ...state.lines['3'], status: 'downloaded', files: ['gen_1-0.png'] };
    store.writeSync();
    const loaded = await StateFile.load(dir);
    assert.equal(loaded?.lines['3'].status, 'downloaded');
    assert.deepEqual(loaded?.lines['3'].files, ['gen_1-0.png']);
    assert.deepEqual(await readdir(dir), [STATE_FILE_NAME]);
  });

  it('says what to do about a file it cannot use', async () => {
    await writeFile(path.join(dir, STATE_FILE_NAME), '{"version": 1, "lines": ');
    await assert.rejects(StateFile.load(dir), /not valid JSON.*move it away/);
    await writeFile(path.join(dir, STATE_FILE_NAME), '{"version": 7}');
    await assert.rejects(StateFile.load(dir), /not an atelier batch state/);
  });

  it('answers undefined when there is no state yet', async () => {
    assert.equal(await StateFile.load(path.join(dir, 'missing')), undefined);
  });
});
