import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ZipArchive } from '@atelier/model-formats';
import { writeZip } from '@atelier/model-formats/testing';
import { packDirectory, unpackDirectory } from './state-archive.js';

test('a --save_state folder round-trips through its archive', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'atelier-state-'));
  try {
    await mkdir(join(dir, 'state', 'nested'), { recursive: true });
    await writeFile(join(dir, 'state', 'optimizer.bin'), Uint8Array.from({ length: 5000 }, (_, i) => i % 251));
    await writeFile(join(dir, 'state', 'nested', 'train_state.json'), '{"current_step": 250}');
    const archive = await packDirectory(join(dir, 'state'));
    assert.deepEqual([...ZipArchive.open(archive).entries.keys()], ['nested/train_state.json', 'optimizer.bin']);
    await unpackDirectory(archive, join(dir, 'copy'));
    assert.deepEqual(await readFile(join(dir, 'copy', 'optimizer.bin')), await readFile(join(dir, 'state', 'optimizer.bin')));
    assert.equal(await readFile(join(dir, 'copy', 'nested', 'train_state.json'), 'utf8'), '{"current_step": 250}');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a tampered archive cannot write outside its folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'atelier-state-'));
  try {
    const evil = writeZip([{ name: '../escaped.txt', data: new TextEncoder().encode('x') }]);
    await assert.rejects(unpackDirectory(evil, join(dir, 'copy')), /escapes the archive/);
    await assert.rejects(readFile(join(dir, 'escaped.txt')), /ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
