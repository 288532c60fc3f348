import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  float32Tensor,
  parseSafetensors,
  readSafetensorsFile,
  SafetensorsError,
  serializeSafetensors,
  tensorToFloat32,
  type TensorEntry,
} from './safetensors.js';

/** A file from a literal header text and data section, the way hand-crafted hostile files are made. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0), declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

function refused(bytes: Uint8Array, reason: RegExp, tensor?: string): void {
  assert.throws(
    () => parseSafetensors(bytes),
    (error: unknown) => {
      assert.ok(error instanceof SafetensorsError, `expected SafetensorsError, got ${String(error)}`);
      assert.match(error.message, reason);
      assert.equal(error.tensor, tensor);
      return true;
    },
  );
}

function bytesOf(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

test('serialize then parse gives back every tensor, the metadata and an aligned, deterministic layout', () => {
  const weight = float32Tensor(Float32Array.from([1.5, -2, 0.25, 8, 1e-3, -0]), [2, 3]);
  const half: TensorEntry = { dtype: 'F16', shape: [2], data: bytesOf(0x00, 0x3c, 0x00, 0xc0) };
  const steps: TensorEntry = { dtype: 'I64', shape: [1], data: bytesOf(7, 0, 0, 0, 0, 0, 0, 0) };
  const empty: TensorEntry = { dtype: 'BF16', shape: [0, 4], data: new Uint8Array(0) };
  const flag: TensorEntry = { dtype: 'BOOL', shape: [], data: bytesOf(1) };
  const metadata = { format: 'pt', 'modelspec.title': 'tést' };

  const bytes = serializeSafetensors({ 'b.weight': weight, 'a.half': half, '10': steps, '9': empty, flag }, metadata);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0, 'data section starts 8-byte aligned');

  const parsed = parseSafetensors(bytes);
  assert.deepEqual(parsed.metadata, metadata);
  assert.deepEqual([...parsed.tensors.keys()], ['10', '9', 'a.half', 'b.weight', 'flag'], 'names in code unit order');
  assert.deepEqual(parsed.tensors.get('b.weight'), weight);
  assert.deepEqual(parsed.tensors.get('a.half'), half);
  assert.deepEqual(parsed.tensors.get('10'), steps);
  assert.deepEqual(parsed.tensors.get('9'), empty);
  assert.deepEqual(parsed.tensors.get('flag'), flag);
  assert.equal(parsed.tensors.get('b.weight')?.data.buffer, bytes.buffer, 'tensor data is a view, not a copy');

  const reordered = serializeSafetensors(new Map([['flag', flag], ['9', empty], ['10', steps], ['a.half', half], ['b.weight', weight]]), metadata);
  assert.deepEqual(reordered, bytes, 'insertion order does not change the bytes');
  assert.deepEqual(serializeSafetensors(parsed.tensors, parsed.metadata), bytes, 're-serializing a parsed file is the identity');
});

test('files as real tools write them: no metadata, metadata last, space padding, zero-size tensors', async () => {
  const data = bytesOf(0, 0, 0x80, 0x3f, 0, 0, 0, 0x40);
  const plain = parseSafetensors(rawFile('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}   ', data));
  assert.deepEqual(plain.metadata, {});
  assert.deepEqual(Array.from(tensorToFloat32(plain.tensors.get('x') as TensorEntry)), [1, 2]);

  const metaLast = parseSafetensors(
    rawFile('{"z":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"x":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}', data),
  );
  assert.deepEqual(metaLast.metadata, { format: 'pt' });
  assert.deepEqual(metaLast.tensors.get('x')?.shape, [1, 2]);
  assert.equal(metaLast.tensors.get('z')?.data.byteLength, 0);

  const empty = parseSafetensors(rawFile('{}'));
  assert.equal(empty.tensors.size, 0);

  const dir = await mkdtemp(path.join(tmpdir(), 'safetensors-'));
  try {
    const file = path.join(dir, 'model.safetensors');
    await writeFile(file, serializeSafetensors({ x: float32Tensor(Float32Array.from([3, 4]), [2]) }));
    const read = await readSafetensorsFile(file);
    assert.deepEqual(Array.from(tensorToFloat32(read.tensors.get('x') as TensorEntry)), [3, 4]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('malformed files are refused with the reason and the tensor at fault', () => {
  const four = new Uint8Array(4);
  const eight = new Uint8Array(8);
  const entry = (name: string, body: string) => `"${name}":${body}`;

  refused(new Uint8Array(5), /too short for the 8-byte header length/);
  refused(rawFile('{}', new Uint8Array(0), 1000), /header length 1000 runs past the end of the file/);
  refused(rawFile('{}', new Uint8Array(0), 2 ** 40), /exceeds the 104857600-byte cap/);
  refused(rawFile('{"a": nope}'), /header is not valid JSON: unexpected character at offset 6/);
  refused(rawFile('[1, 2]'), /not a JSON object/);
  refused(rawFile('{"a":1} trailing'), /not valid JSON: unexpected data after the value/);
  refused(Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xff]), /not valid UTF-8/);

  refused(rawFile(`{${entry('w', '{"dtype":"Q4_K","shape":[1],"data_offsets":[0,4]}')}}`, four), /dtype: unknown dtype "Q4_K"/, 'w');
  refused(rawFile(`{${entry('w', '{"dtype":"F32","shape":[3],"data_offsets":[0,8]}')}}`, eight), /8 bytes but shape \[3\] of F32 needs 12/, 'w');
  refused(rawFile(`{${entry('w', '{"dtype":"F32","shape":[1,-2],"data_offsets":[0,8]}')}}`, eight), /shape\.1: must not be negative/, 'w');
  refused(rawFile(`{${entry('w', '{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}')}}`, four), /shape\.0: must be an integer/, 'w');
  refused(rawFile(`{${entry('w', '{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}')}}`, eight), /unexpected field\(s\) extra/, 'w');
  refused(rawFile(`{${entry('w', '{"dtype":"F32","shape":[2],"data_offsets":[0]}')}}`, eight), /data_offsets/, 'w');
  refused(rawFile(`{${entry('w', '[1]')}}`), /must be an object/, 'w');
  refused(rawFile(`{${entry('w', '{"dtype":"U8","shape":[4],"data_offsets":[4,8]}')}}`, four), /\[4, 8\] run past the data section \(4 bytes\)/, 'w');
  refused(rawFile(`{${entry('w', '{"dtype":"U8","shape":[0],"data_offsets":[4,0]}')}}`, four), /begin is after end/, 'w');
  refused(
    rawFile(`{${entry('a', '{"dtype":"U8","shape":[2],"data_offsets":[0,2]}')},${entry('b', '{"dtype":"U8","shape":[4],"data_offsets":[4,8]}')}}`, eight),
    /leave a gap: bytes 2\.\.4 belong to no tensor/,
    'b',
  );
  refused(
    rawFile(`{${entry('a', '{"dtype":"U8","shape":[6],"data_offsets":[0,6]}')},${entry('b', '{"dtype":"U8","shape":[4],"data_offsets":[4,8]}')}}`, eight),
    /overlap tensor "a" \(which ends at 6\)/,
    'b',
  );
  refused(rawFile(`{${entry('a', '{"dtype":"U8","shape":[4],"data_offsets":[0,4]}')}}`, eight), /cover only 4: trailing bytes/);
  refused(
    rawFile(`{${entry('a', '{"dtype":"U8","shape":[4],"data_offsets":[0,4]}')},${entry('a', '{"dtype":"U8","shape":[4],"data_offsets":[4,8]}')}}`, eight),
    /appears more than once in the header/,
    'a',
  );
  refused(rawFile('{"__metadata__":{"format":"pt","epoch":3}}'), /__metadata__: value of "epoch" must be a string, got a number/);
  refused(rawFile('{"__metadata__":{"nested":{"a":"b"}}}'), /value of "nested" must be a string, got an object/);
  refused(rawFile('{"__metadata__":["pt"]}'), /__metadata__ must be an object of strings/);
  refused(rawFile(`{${entry('w', `{"dtype":"U8","shape":[${2 ** 30},${2 ** 30},${2 ** 30}],"data_offsets":[0,4]}`)}}`, four), /too many elements/, 'w');
});

test('serializing refuses inconsistent tensors', () => {
  assert.throws(() => serializeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Uint8Array(8) } }), /tensor "w": 8 bytes but shape \[3\] of F32 needs 12/);
  assert.throws(() => serializeSafetensors({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }), /reserved for the metadata/);
  assert.throws(() => float32Tensor(new Float32Array(3), [2, 2]), /4 elements but 3 values/);
});

test('half, bfloat16, fp8 and integer tensors decode to the exact float32 values', () => {
  const f16 = tensorToFloat32({
    dtype: 'F16',
    shape: [8],
    // 1, -2, 65504, smallest subnormal 2^-24, 0.333251953125, +inf, -0, NaN
    data: bytesOf(0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x55, 0x35, 0x00, 0x7c, 0x00, 0x80, 0x01, 0x7e),
  });
  assert.deepEqual(Array.from(f16.subarray(0, 7)), [1, -2, 65504, 2 ** -24, 0.333251953125, Infinity, -0]);
  assert.ok(Number.isNaN(f16[7]));

  const bf16 = tensorToFloat32({
    dtype: 'BF16',
    shape: [5],
    // 1, -2, 3.140625, 2^-133 (subnormal), 3.3895313892515355e38 (max)
    data: bytesOf(0x80, 0x3f, 0x00, 0xc0, 0x49, 0x40, 0x01, 0x00, 0x7f, 0x7f),
  });
  assert.deepEqual(Array.from(bf16), [1, -2, 3.140625, 2 ** -133, 3.3895313892515355e38]);

  // Unaligned float32 data takes the byte-by-byte path and still decodes.
  const unaligned = new Uint8Array(9).subarray(1);
  new DataView(unaligned.buffer, 1).setFloat32(0, -7.5, true);
  new DataView(unaligned.buffer, 1).setFloat32(4, 0.1, true);
  assert.deepEqual(Array.from(tensorToFloat32({ dtype: 'F32', shape: [2], data: unaligned })), [-7.5, Math.fround(0.1)]);

  assert.deepEqual(Array.from(tensorToFloat32({ dtype: 'F8_E4M3', shape: [4], data: bytesOf(0x38, 0xc0, 0x7e, 0x01) })), [1, -2, 448, 2 ** -9]);
  assert.deepEqual(Array.from(tensorToFloat32({ dtype: 'F8_E5M2', shape: [3], data: bytesOf(0x3c, 0xc0, 0x7b) })), [1, -2, 57344]);
  const f64 = new Uint8Array(8);
  new DataView(f64.buffer).setFloat64(0, 0.5, true);
  assert.deepEqual(Array.from(tensorToFloat32({ dtype: 'F64', shape: [1], data: f64 })), [0.5]);
  assert.deepEqual(Array.from(tensorToFloat32({ dtype: 'I64', shape: [1], data: bytesOf(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) })), [-2]);
  assert.deepEqual(Array.from(tensorToFloat32({ dtype: 'I8', shape: [2], data: bytesOf(0xff, 5) })), [-1, 5]);
  assert.deepEqual(Array.from(tensorToFloat32({ dtype: 'U16', shape: [1], data: bytesOf(0xff, 0xff) })), [65535]);
  assert.deepEqual(Array.from(tensorToFloat32({ dtype: 'BOOL', shape: [3], data: bytesOf(0, 1, 7) })), [0, 1, 1]);
  assert.throws(() => tensorToFloat32({ dtype: 'F16', shape: [3], data: new Uint8Array(4) }), /4 bytes but shape \[3\] of F16 needs 6/);
});
