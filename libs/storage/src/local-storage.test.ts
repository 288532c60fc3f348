import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyLocalSignature } from './local-signature.js';
import { LocalStorage } from './local-storage.js';
import { InvalidKeyError } from './storage-errors.js';
import { startLocalFileServer, type RunningLocalFileServer } from './testing/local-file-server.js';
import { describeObjectStorageContract } from './testing/object-storage-contract.js';

const SECRET = 'local-storage-test-signing-secret';

interface LocalFixture {
  readonly root: string;
  readonly storage: LocalStorage;
  readonly server: RunningLocalFileServer;
  cleanup(): Promise<void>;
}

async function startLocalFixture(): Promise<LocalFixture> {
  const root = await mkdtemp(join(tmpdir(), 'atelier-local-storage-'));
  // The server must listen before the storage can know its URL; `read` only runs once both exist.
  const server = await startLocalFileServer({ signingSecret: SECRET, read: (key) => storage.read(key) });
  const storage = new LocalStorage({ root, publicBaseUrl: server.baseUrl, signingSecret: SECRET });
  return {
    root,
    storage,
    server,
    cleanup: async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

describeObjectStorageContract('LocalStorage', async () => {
  const fixture = await startLocalFixture();
  return {
    storage: fixture.storage,
    unreachable: async () => {
      // A root below a regular file can never be created.
      const blocker = join(fixture.root, 'not-a-directory');
      await writeFile(blocker, 'x');
      return new LocalStorage({ root: join(blocker, 'root'), publicBaseUrl: fixture.server.baseUrl, signingSecret: SECRET });
    },
    atomicConcurrentWrites: true,
    teardown: fixture.cleanup,
  };
});

describe('LocalStorage specifics', () => {
  let fixture: LocalFixture;
  before(async () => {
    fixture = await startLocalFixture();
  });
  after(async () => {
    await fixture.cleanup();
  });

  it('presigns `${publicBaseUrl}/files/<key>?expires=<unix>&signature=<hex>`', async () => {
    const before = Math.floor(Date.now() / 1000);
    const url = new URL(await fixture.storage.presignGet('generations/g1/0.png', 600));
    assert.equal(url.origin, fixture.server.baseUrl);
    assert.equal(url.pathname, '/files/generations/g1/0.png');
    const expires = Number(url.searchParams.get('expires'));
    assert.ok(expires >= before + 600 && expires <= before + 601, `expires ${expires}`);
    assert.match(url.searchParams.get('signature') ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual([...url.searchParams.keys()].sort(), ['expires', 'signature']);
  });

  it('serves 403 for a tampered signature, a changed expiry or another key', async () => {
    await fixture.storage.put('private/a.txt', Buffer.from('a'), 'text/plain');
    await fixture.storage.put('private/b.txt', Buffer.from('b'), 'text/plain');
    const url = new URL(await fixture.storage.presignGet('private/a.txt', 600));
    const signature = url.searchParams.get('signature') ?? '';

    const tampered = new URL(url);
    tampered.searchParams.set('signature', `${signature[0] === '0' ? '1' : '0'}${signature.slice(1)}`);
    const extended = new URL(url);
    extended.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    const otherKey = new URL(url);
    otherKey.pathname = '/files/private/b.txt';

    for (const forged of [tampered, extended, otherKey]) {
      const response = await fetch(forged);
      await response.arrayBuffer();
      assert.equal(response.status, 403, forged.toString());
    }
    const genuine = await fetch(url);
    assert.equal(await genuine.text(), 'a');
  });

  it('signatures verify until expiry and not after', async () => {
    const url = new URL(await fixture.storage.presignGet('private/a.txt', 60));
    const expires = url.searchParams.get('expires') ?? '';
    const signature = url.searchParams.get('signature') ?? '';
    const expiresAtMs = Number(expires) * 1000;
    assert.equal(verifyLocalSignature('private/a.txt', expires, signature, SECRET, new Date(expiresAtMs - 1)), true);
    assert.equal(verifyLocalSignature('private/a.txt', expires, signature, SECRET, new Date(expiresAtMs)), false);
  });

  it('writes atomically through tmp/ and leaves no scratch files behind', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await fixture.storage.put('jobs/j1/out.png', Buffer.alloc(1000, attempt), 'image/png');
    }
    assert.deepEqual(await readdir(join(fixture.root, 'tmp')), []);
    assert.deepEqual(await readdir(join(fixture.root, 'objects', 'jobs', 'j1')), ['out.png']);
  });

  it('keeps the content type in a sidecar that survives a new instance', async () => {
    await fixture.storage.put('persisted/x.svg', Buffer.from('<svg/>'), 'image/svg+xml');
    const reopened = new LocalStorage({ root: fixture.root, publicBaseUrl: 'http://example.test', signingSecret: SECRET });
    assert.deepEqual(await reopened.read('persisted/x.svg'), { body: Buffer.from('<svg/>'), contentType: 'image/svg+xml' });
    assert.deepEqual(await reopened.list('persisted/'), ['persisted/x.svg']);
  });

  it('refuses a key that would turn an existing object into a directory, or the reverse', async () => {
    await fixture.storage.put('clash/leaf', Buffer.from('leaf'), 'text/plain');
    await assert.rejects(fixture.storage.put('clash/leaf/child', Buffer.from('x'), 'text/plain'), InvalidKeyError);
    await fixture.storage.put('clash/dir/child', Buffer.from('child'), 'text/plain');
    await assert.rejects(fixture.storage.put('clash/dir', Buffer.from('x'), 'text/plain'), InvalidKeyError);
    assert.equal(await fixture.storage.exists('clash/dir'), false);
    assert.deepEqual(await fixture.storage.list('clash/'), ['clash/dir/child', 'clash/leaf']);
    assert.equal((await fixture.storage.get('clash/leaf')).toString(), 'leaf');
  });

  it('validates its options', () => {
    const root = fixture.root;
    assert.throws(() => new LocalStorage({ root, publicBaseUrl: 'http://x.test', signingSecret: 'short' }), RangeError);
    assert.throws(() => new LocalStorage({ root, publicBaseUrl: 'ftp://x.test', signingSecret: SECRET }), TypeError);
    assert.throws(() => new LocalStorage({ root, publicBaseUrl: 'not a url', signingSecret: SECRET }), TypeError);
    const storage = new LocalStorage({ root, publicBaseUrl: 'http://x.test/', signingSecret: SECRET });
    assert.equal(storage.describe(), `local:${root}`);
  });

  it('strips trailing slashes from publicBaseUrl', async () => {
    const storage = new LocalStorage({ root: fixture.root, publicBaseUrl: 'https://cdn.test/base//', signingSecret: SECRET });
    assert.match(await storage.presignGet('k.png', 5), /^https:\/\/cdn\.test\/base\/files\/k\.png\?expires=\d+&signature=[0-9a-f]{64}$/);
  });
});
