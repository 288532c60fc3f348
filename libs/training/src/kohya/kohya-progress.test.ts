import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKohyaLine } from './kohya-progress.js';
import { LineSplitter } from './line-splitter.js';

test('tqdm step lines give the step, the total and the losses of the postfix', () => {
  assert.deepEqual(parseKohyaLine('steps:  12%|█▏        | 120/1000 [01:23<10:12,  1.44it/s, avr_loss=0.123]'), { kind: 'step', step: 120, total: 1000, averageLoss: 0.123 });
  assert.deepEqual(parseKohyaLine('steps:  12%|█▏        | 121/1000 [01:24<10:11,  1.44it/s, loss=0.0981, avr_loss=0.12]'), {
    kind: 'step',
    step: 121,
    total: 1000,
    loss: 0.0981,
    averageLoss: 0.12,
  });
  assert.deepEqual(parseKohyaLine('steps: 100%|██████████| 1000/1000 [11:40<00:00,  1.43it/s, avr_loss=7.12e-02]'), { kind: 'step', step: 1000, total: 1000, averageLoss: 0.0712 });
  assert.deepEqual(parseKohyaLine('steps:   0%|          | 0/1000 [00:00<?, ?it/s]'), { kind: 'step', step: 0, total: 1000 });
  assert.deepEqual(parseKohyaLine('steps:  50%|█████     | 5/10 [00:01<00:01,  3.1s/it, Keys Scaled=0, avr_loss=0.2]'), { kind: 'step', step: 5, total: 10, averageLoss: 0.2 });
});

test('epochs, checkpoints and saved states are recognised, with or without a logger prefix', () => {
  assert.deepEqual(parseKohyaLine('epoch 2/10'), { kind: 'epoch', epoch: 2, totalEpochs: 10 });
  assert.deepEqual(parseKohyaLine('saving checkpoint: /work/job/output/zxq-v1-step00000250.safetensors'), {
    kind: 'checkpoint',
    path: '/work/job/output/zxq-v1-step00000250.safetensors',
    step: 250,
  });
  assert.deepEqual(parseKohyaLine('2025-03-01 10:11:12 INFO     saving checkpoint: /out dir/zxq-step00000010.safetensors      train_network.py:1012'), {
    kind: 'checkpoint',
    path: '/out dir/zxq-step00000010.safetensors',
    step: 10,
  });
  assert.deepEqual(parseKohyaLine('saving checkpoint: /work/job/output/zxq-v1.safetensors'), { kind: 'checkpoint', path: '/work/job/output/zxq-v1.safetensors' });
  assert.deepEqual(parseKohyaLine('2025-03-01 10:11:13 INFO     saving state at step 250                train_util.py:4830'), { kind: 'state', step: 250 });
});

test('other output is not progress', () => {
  for (const line of [
    'validation steps:  50%|█████     | 2/4 [00:01<00:01,  1.50it/s]',
    'max_train_steps: 1000',
    '  ss_epoch: 3',
    'running training / 学習開始',
    '  num epochs / epoch数: 10',
    'epoch 1 of 10 done',
    'Traceback (most recent call last):',
  ]) {
    assert.equal(parseKohyaLine(line), undefined, line);
  }
});

test('the line splitter cuts on \\r and \\n across chunk boundaries and multi-byte characters', () => {
  const splitter = new LineSplitter();
  const bytes = new TextEncoder().encode('steps:   1%|▏ | 1/100 [00:01]\rsteps:   2%|▏ | 2/100 [00:02]\r\nepoch 1/2\nlast');
  const lines: string[] = [];
  // One byte at a time: the bar characters are three bytes long in UTF-8.
  for (const byte of bytes) lines.push(...splitter.push(Uint8Array.of(byte)));
  assert.equal(splitter.pendingLine(), 'last');
  lines.push(...splitter.end());
  assert.deepEqual(lines, ['steps:   1%|▏ | 1/100 [00:01]', 'steps:   2%|▏ | 2/100 [00:02]', 'epoch 1/2', 'last']);
  assert.equal(splitter.pendingLine(), '');
});
