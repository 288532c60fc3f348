import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestApiClient } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ProbeTable } from '../support/probe-table.js';

/** Bytes per upload; 1 GiB by default (the figure), smaller for a quick local run. */
const UPLOAD_BYTES = Number(process.env.UPLOAD_MEMORY_TEST_BYTES ?? 1024 ** 3);
/** s3rver (a test double written for correctness, not volume) takes minutes per gigabyte it assembles. */
const S3_UPLOAD_BYTES = Number(process.env.UPLOAD_MEMORY_TEST_S3_BYTES ?? Math.min(UPLOAD_BYTES, 256 * 1024 ** 2));
const RSS_LIMIT_BYTES = 300 * 1024 * 1024;
const CHUNK = Buffer.alloc(1024 * 1024);
const table = new ProbeTable('Bounded memory for uploads');

/** A valid safetensors file of exactly `total` bytes: one U8 tensor of zeros, generated as it is sent. */
function safetensorsOfSize(total: number): { head: Buffer; dataBytes: number } {
  for (let pad = 0; ; pad++) {
    const probe = (dataBytes: number): Buffer => Buffer.from(JSON.stringify({ weights: { dtype: 'U8', shape: [dataBytes], data_offsets: [0, dataBytes] } }) + ' '.repeat(pad));
    const json = probe(total);
    const dataBytes = total - 8 - json.length;
    const exact = probe(dataBytes);
    if (8 + exact.length + dataBytes === total) {
      const head = Buffer.alloc(8 + exact.length);
      head.writeBigUInt64LE(BigInt(exact.length), 0);
      exact.copy(head, 8);
      return { head, dataBytes };
    }
  }
}

function generated(prefix: Buffer, zeros: number, suffix: Buffer): ReadableStream<Uint8Array> {
  let sent = -1;
  return new ReadableStream({
    pull(controller) {
      if (sent < 0) {
        controller.enqueue(new Uint8Array(prefix));
        sent = 0;
      } else if (sent < zeros) {
        const size = Math.min(CHUNK.length, zeros - sent);
        controller.enqueue(new Uint8Array(CHUNK.subarray(0, size)));
        sent += size;
      } else {
        controller.enqueue(new Uint8Array(suffix));
        controller.close();
      }
    },
  });
}

async function modelUpload(apiUrl: string, key: string, name: string, bytes = UPLOAD_BYTES): Promise<number> {
  const boundary = `----atelier${name}`;
  const { head, dataBytes } = safetensorsOfSize(bytes);
  const fields = ['kind', 'lora', 'name', name].reduce<string[]>((parts, _value, index, all) => (index % 2 === 0 ? [...parts, `--${boundary}\r\ncontent-disposition: form-data; name="${all[index]}"\r\n\r\n${all[index + 1]}\r\n`] : parts), []);
  const prefix = Buffer.concat([Buffer.from(`${fields.join('')}--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${name}.safetensors"\r\ncontent-type: application/octet-stream\r\n\r\n`), head]);
  const response = await fetch(`${apiUrl}/v1/models`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: generated(prefix, dataBytes, Buffer.from(`\r\n--${boundary}--\r\n`)),
    duplex: 'half',
  } as RequestInit);
  await response.arrayBuffer();
  return response.status;
}

async function datasetPut(api: TestApiClient): Promise<number> {
  const ticket = await api.request<{ upload_url: string; headers: Record<string, string> }>('POST', '/v1/uploads', {});
  const response = await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: generated(Buffer.alloc(0), UPLOAD_BYTES, Buffer.alloc(0)), duplex: 'half' } as RequestInit);
  await response.arrayBuffer();
  return response.status;
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/** Runs the uploads while sampling the API's RSS; records and checks statuses and the peak. */
async function measure(fixture: FarmFixture, label: string, uploads: ReadonlyArray<[expected: number, run: () => Promise<number>]>): Promise<void> {
  const pid = fixture.farm.api.child.pid as number;
  const before = await rssBytes(pid);
  let peak = before;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rssBytes(pid));
      await sleep(100);
    }
  })();
  const statuses = await Promise.all(uploads.map(([, run]) => run()));
  sampling = false;
  await sampler;
  const mb = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
  const expected = uploads.map(([status]) => status);
  table.record(`${label}: statuses`, expected.join(','), statuses.join(','));
  table.record(`${label}: API peak RSS`, `< ${mb(RSS_LIMIT_BYTES)}`, `${mb(peak)} (before: ${mb(before)})`);
  assert.deepEqual(statuses, expected);
  assert.ok(peak < RSS_LIMIT_BYTES, `API peak RSS ${mb(peak)}`);
}

const size = `${(UPLOAD_BYTES / 1024 ** 2).toFixed(0)} MB`;

describe('security: uploads are streamed, never buffered (real API, local storage driver)', () => {
  let fixture: FarmFixture;

  before(async () => {
    fixture = await startFarmFixture({ STORAGE_DRIVER: 'local', MAX_DATASET_BYTES: String(UPLOAD_BYTES + 1024) });
  });
  after(async () => {
    await fixture?.stop();
  });

  it(`keeps the API under 300 MB RSS through four concurrent ${size} uploads (two model uploads, two presigned dataset PUTs)`, async () => {
    await measure(fixture, `local: 2 model uploads + 2 dataset PUTs of ${size}`, [
      [201, () => modelUpload(fixture.farm.apiUrl, fixture.farm.apiKey, 'big-one')],
      [201, () => modelUpload(fixture.farm.apiUrl, fixture.farm.apiKey, 'big-two')],
      [200, () => datasetPut(fixture.api)],
      [200, () => datasetPut(fixture.api)],
    ]);
  });
});

describe('security: uploads are streamed, never buffered (real API, S3 driver on s3rver)', () => {
  let fixture: FarmFixture;

  before(async () => {
    fixture = await startFarmFixture();
  });
  after(async () => {
    await fixture?.stop();
  });

  const s3Size = `${(S3_UPLOAD_BYTES / 1024 ** 2).toFixed(0)} MB`;
  it(`keeps the API under 300 MB RSS through four concurrent ${s3Size} model uploads sent on as S3 multipart uploads`, async () => {
    await measure(
      fixture,
      `s3: 4 model uploads of ${s3Size}`,
      ['s3-one', 's3-two', 's3-three', 's3-four'].map((name) => [201, () => modelUpload(fixture.farm.apiUrl, fixture.farm.apiKey, name, S3_UPLOAD_BYTES)] as [number, () => Promise<number>]),
    );
  });
});
