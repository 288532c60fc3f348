import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStorage } from '../object-storage.js';
import { InvalidKeyError, ObjectNotFoundError, StorageUnavailableError } from '../storage-errors.js';

export interface ContractSubject {
  readonly storage: ObjectStorage;
  /** A storage of the same driver whose backend cannot be used (stopped server, unusable root). */
  unreachable(): Promise<ObjectStorage>;
  teardown(): Promise<void>;
  /**
   * Whether the backend itself makes concurrent writes of one key atomic (last writer wins whole).
   * Our local driver does (scratch file + rename), as S3 and MinIO do; s3rver, the test server,
   * writes straight into the object file, so racing writers can interleave there.
   */
  readonly atomicConcurrentWrites: boolean;
}

export const INVALID_KEYS: readonly string[] = [
  '',
  '/leading-slash.png',
  'trailing-slash/',
  '../escape.png',
  'a/../b.png',
  'a/..',
  'a..b',
  'back\\slash.png',
  'double//slash.png',
  './dot.png',
  'a/./b.png',
  'space in name.png',
  'percent%2Fencoded',
  'query?.png',
  'hash#.png',
  'unicodé.png',
  'new\nline',
  'x'.repeat(1025),
];

/**
 * The behaviour every ObjectStorage driver must share. Each test writes under its own random
 * prefix, so one subject serves the whole suite.
 */
export function describeObjectStorageContract(driver: string, setup: () => Promise<ContractSubject>): void {
  describe(`ObjectStorage contract: ${driver}`, () => {
    let subject: ContractSubject;
    let storage: ObjectStorage;
    const fresh = (): string => `contract/${randomUUID()}`;

    before(async () => {
      subject = await setup();
      storage = subject.storage;
    });
    after(async () => {
      await subject?.teardown();
    });

    it('returns exactly the bytes that were put', async () => {
      const key = `${fresh()}/image.png`;
      const body = randomBytes(70_000);
      await storage.put(key, body, 'image/png');
      assert.deepEqual(await storage.get(key), body);
    });

    it('stores and returns an empty object', async () => {
      const key = `${fresh()}/empty.bin`;
      await storage.put(key, Buffer.alloc(0), 'application/octet-stream');
      assert.equal((await storage.get(key)).length, 0);
      assert.equal(await storage.exists(key), true);
    });

    it('overwrites an existing object, content type included', async () => {
      const key = `${fresh()}/retried.txt`;
      await storage.put(key, Buffer.from('first attempt, longer than the second'), 'text/plain');
      await storage.put(key, Buffer.from('{"second":true}'), 'application/json');
      assert.equal((await storage.get(key)).toString(), '{"second":true}');
      const response = await fetch(await storage.presignGet(key, 60));
      assert.equal(response.headers.get('content-type'), 'application/json');
    });

    it('leaves one complete version when the same key is written concurrently', async () => {
      const key = `${fresh()}/raced.bin`;
      const versions = [0, 1, 2, 3].map((n) => Buffer.alloc(200_000, n));
      await Promise.all(versions.map((body) => storage.put(key, body, 'application/octet-stream')));
      if (subject.atomicConcurrentWrites) {
        const stored = await storage.get(key);
        assert.ok(versions.some((body) => body.equals(stored)), 'stored object is not one of the written versions');
        return;
      }
      // The backend may interleave racing writers (see atomicConcurrentWrites); what the driver
      // still owes is that the next write after the race replaces the object whole.
      const settled = Buffer.alloc(200_000, 9);
      await storage.put(key, settled, 'application/octet-stream');
      assert.ok((await storage.get(key)).equals(settled), 'a write after the race replaces the object whole');
    });

    it('puts a stream of many chunks (several multipart parts) and returns exactly its bytes', async () => {
      const key = `${fresh()}/streamed.bin`;
      const body = randomBytes(11 * 1024 * 1024 + 123);
      const chunks = Array.from({ length: Math.ceil(body.length / 65_536) }, (_, index) => body.subarray(index * 65_536, (index + 1) * 65_536));
      await storage.putStream(key, Readable.from(chunks), 'application/octet-stream');
      assert.deepEqual(await storage.get(key), body);
      const response = await fetch(await storage.presignGet(key, 60));
      assert.equal(response.headers.get('content-type'), 'application/octet-stream');
      await response.arrayBuffer();
      const empty = `${fresh()}/empty-stream.bin`;
      await storage.putStream(empty, Readable.from([]), 'text/plain');
      assert.equal((await storage.get(empty)).length, 0);
    });

    it('keeps the previous object when a streamed put fails midway', async () => {
      const key = `${fresh()}/kept.bin`;
      await storage.put(key, Buffer.from('previous'), 'text/plain');
      const failing = Readable.from((async function* () {
        yield randomBytes(6 * 1024 * 1024);
        throw new Error('client went away');
      })());
      await assert.rejects(storage.putStream(key, failing, 'application/octet-stream'), /client went away/);
      assert.equal((await storage.get(key)).toString(), 'previous');
      const response = await fetch(await storage.presignGet(key, 60));
      assert.equal(response.headers.get('content-type'), 'text/plain');
      await response.arrayBuffer();
      await assert.rejects(storage.putStream('../escape.bin', Readable.from([Buffer.from('x')]), 'text/plain'), InvalidKeyError);
    });

    it('reports existence and deletes idempotently', async () => {
      const key = `${fresh()}/doomed.txt`;
      assert.equal(await storage.exists(key), false);
      await storage.put(key, Buffer.from('x'), 'text/plain');
      assert.equal(await storage.exists(key), true);
      await storage.delete(key);
      assert.equal(await storage.exists(key), false);
      await storage.delete(key);
      await assert.rejects(storage.get(key), ObjectNotFoundError);
    });

    it('streams an object chunk by chunk, and refuses a missing one', async () => {
      const key = `${fresh()}/weights.bin`;
      const body = randomBytes(300_000);
      await storage.put(key, body, 'application/octet-stream');
      const chunks: Buffer[] = [];
      for await (const chunk of await storage.openReadStream(key)) chunks.push(Buffer.from(chunk as Uint8Array));
      assert.deepEqual(Buffer.concat(chunks), body);
      await assert.rejects(storage.openReadStream(`${fresh()}/absent.bin`), ObjectNotFoundError);
    });

    it('throws ObjectNotFoundError naming the key for a missing object', async () => {
      const key = `${fresh()}/never-written.png`;
      await assert.rejects(storage.get(key), (error: unknown) => {
        assert.ok(error instanceof ObjectNotFoundError);
        assert.equal(error.key, key);
        return true;
      });
    });

    it('lists every key under a prefix, nested ones included, sorted', async () => {
      const base = fresh();
      const inside = [`${base}/b/2.png`, `${base}/a.png`, `${base}/b/1.png`, `${base}/b/deeper/3.png`];
      const outside = [`${base}-sibling/x.png`, `${fresh()}/y.png`];
      for (const key of [...inside, ...outside]) await storage.put(key, Buffer.from(key), 'image/png');

      assert.deepEqual(await storage.list(`${base}/`), [...inside].sort());
      assert.deepEqual(await storage.list(`${base}/b/`), [`${base}/b/1.png`, `${base}/b/2.png`, `${base}/b/deeper/3.png`]);
      assert.deepEqual(await storage.list(`${base}/b/d`), [`${base}/b/deeper/3.png`]);
      assert.deepEqual(await storage.list(`${base}/a`), [`${base}/a.png`]);
      assert.deepEqual(await storage.list(`${fresh()}/`), []);
      const everything = await storage.list('');
      for (const key of [...inside, ...outside]) assert.ok(everything.includes(key), `list('') misses ${key}`);
    });

    it('rejects invalid keys with InvalidKeyError in every operation', async () => {
      for (const key of INVALID_KEYS) {
        const label = JSON.stringify(key);
        await assert.rejects(storage.put(key, Buffer.from('x'), 'text/plain'), InvalidKeyError, `put ${label}`);
        await assert.rejects(storage.get(key), InvalidKeyError, `get ${label}`);
        await assert.rejects(storage.exists(key), InvalidKeyError, `exists ${label}`);
        await assert.rejects(storage.delete(key), InvalidKeyError, `delete ${label}`);
        await assert.rejects(storage.presignGet(key, 60), InvalidKeyError, `presignGet ${label}`);
      }
      for (const prefix of ['/abs/', '../up/', 'a\\b', 'a//b/', 'sp ace/']) {
        await assert.rejects(storage.list(prefix), InvalidKeyError, `list ${JSON.stringify(prefix)}`);
      }
    });

    it('rejects malformed content types', async () => {
      const key = `${fresh()}/typed.png`;
      for (const contentType of ['', 'png', 'image/png\r\nx-injected: 1']) {
        await assert.rejects(storage.put(key, Buffer.from('x'), contentType), TypeError);
      }
      assert.equal(await storage.exists(key), false);
    });

    it('presigns a URL that plain fetch can download, with the stored content type', async () => {
      const key = `${fresh()}/gen_0001-seed=42.webp`;
      const body = randomBytes(5_000);
      await storage.put(key, body, 'image/webp');
      const response = await fetch(await storage.presignGet(key, 300));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/webp');
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), body);
    });

    it('presigned URLs stop working once expired', async () => {
      const key = `${fresh()}/short-lived.txt`;
      await storage.put(key, Buffer.from('soon gone'), 'text/plain');
      const url = await storage.presignGet(key, 1);
      // Expiry has one-second granularity on both drivers, so wait out two seconds.
      await sleep(2_100);
      const response = await fetch(url);
      await response.arrayBuffer();
      assert.equal(response.status, 403);
    });

    it('rejects presign lifetimes outside 1 s .. 7 days', async () => {
      const key = `${fresh()}/any.txt`;
      for (const seconds of [0, -5, 1.5, 7 * 24 * 3600 + 1, Number.NaN]) {
        await assert.rejects(storage.presignGet(key, seconds), RangeError, `expiresInSeconds ${seconds}`);
      }
    });

    it('ping succeeds against a working backend', async () => {
      await storage.ping();
      assert.equal(typeof storage.describe(), 'string');
    });

    it('ping throws StorageUnavailableError against an unusable backend', async () => {
      const broken = await subject.unreachable();
      await assert.rejects(broken.ping(), (error: unknown) => {
        assert.ok(error instanceof StorageUnavailableError);
        assert.ok(error.message.includes(broken.describe()));
        return true;
      });
      // An outage is not the caller's fault: it must not surface as a key problem.
      await assert.rejects(broken.put('outage/x.txt', Buffer.from('x'), 'text/plain'), (error: unknown) => {
        assert.ok(!(error instanceof InvalidKeyError), String(error));
        return true;
      });
    });
  });
}
