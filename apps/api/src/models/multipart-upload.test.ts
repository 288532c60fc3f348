import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { MultipartError, multipartBoundary, readMultipartUpload } from './multipart-upload.js';

const BOUNDARY = 'xYzBoundary123';
const LIMITS = { fileField: 'file', maxFileBytes: 1024 * 1024, maxFieldBytes: 1024, maxFields: 8 };

function body(parts: Array<{ name: string; value: Buffer | string; filename?: string }>, boundary = BOUNDARY): Buffer {
  const pieces: Buffer[] = [Buffer.from('preamble to ignore\r\n')];
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`;
    pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\n\r\n`), Buffer.from(part.value), Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(pieces);
}

/** The body cut into chunks of `size` bytes, so delimiters fall across chunk edges. */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe('readMultipartUpload', () => {
  it('keeps fields and spools the file exactly, whatever the chunking and the order of parts', async () => {
    // Bytes that look like a delimiter's start inside the file must not end it.
    const file = Buffer.concat([randomBytes(5000), Buffer.from(`\r\n--${BOUNDARY.slice(0, 5)}`), randomBytes(3000)]);
    const bytes = body([{ name: 'kind', value: 'lora' }, { name: 'file', value: file, filename: '../../evil/x.safetensors' }, { name: 'name', value: 'after-the-file' }]);
    for (const size of [1, 7, 64, 4096, bytes.length]) {
      const upload = await readMultipartUpload(chunked(bytes, size), BOUNDARY, LIMITS);
      try {
        assert.deepEqual(upload.fields, { kind: 'lora', name: 'after-the-file' });
        assert.equal(upload.file?.filename, 'x.safetensors', 'the client path is dropped');
        assert.equal(upload.file?.size, file.length);
        assert.deepEqual(await readFile(upload.file?.path as string), file);
      } finally {
        await upload.dispose();
      }
      await assert.rejects(stat(upload.file?.path as string), { code: 'ENOENT' });
    }
  });

  it('refuses bodies it cannot accept with 400 or 413 naming the field', async () => {
    const cases: Array<[string, Buffer, number, string]> = [
      ['file over the limit', body([{ name: 'file', value: Buffer.alloc(LIMITS.maxFileBytes + 1), filename: 'big.bin' }]), 413, 'file'],
      ['field over the limit', body([{ name: 'name', value: 'x'.repeat(2000) }]), 413, 'name'],
      ['file in another field', body([{ name: 'other', value: 'x', filename: 'a.bin' }]), 400, 'other'],
      ['two files', body([{ name: 'file', value: 'a', filename: 'a.bin' }, { name: 'file', value: 'b', filename: 'b.bin' }]), 400, 'file'],
      ['field given twice', body([{ name: 'kind', value: 'a' }, { name: 'kind', value: 'b' }]), 400, 'kind'],
      ['cut off before the closing boundary', body([{ name: 'kind', value: 'lora' }]).subarray(0, 60), 400, 'body'],
      ['no boundary at all', Buffer.alloc(20_000, 0x61), 400, 'body'],
    ];
    for (const [label, bytes, status, field] of cases) {
      await assert.rejects(readMultipartUpload(chunked(bytes, 1000), BOUNDARY, LIMITS), (error: unknown) => {
        assert.ok(error instanceof MultipartError, label);
        assert.equal(error.status, status, label);
        assert.equal(error.field, field, label);
        return true;
      });
    }
  });

  it('finds the boundary of multipart content types only', () => {
    assert.equal(multipartBoundary(`multipart/form-data; boundary=${BOUNDARY}`), BOUNDARY);
    assert.equal(multipartBoundary('multipart/form-data; boundary="quoted value"'), 'quoted value');
    assert.equal(multipartBoundary('application/json'), undefined);
    assert.equal(multipartBoundary('multipart/form-data'), undefined);
    assert.equal(multipartBoundary(undefined), undefined);
  });
});
