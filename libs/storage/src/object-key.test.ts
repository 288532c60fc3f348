import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertValidKeyPrefix, assertValidObjectKey } from './object-key.js';
import { InvalidKeyError } from './storage-errors.js';
import { INVALID_KEYS } from './testing/object-storage-contract.js';

describe('assertValidObjectKey', () => {
  it('accepts the keys the farm produces', () => {
    for (const key of [
      'a',
      'generations/0b9f6c1e-8d2a-4c1e-9f3e-2a1b3c4d5e6f/0.png',
      'batches/b-17/images/seed=42,steps=30.webp',
      'users/me@example.com/avatar~v2.jpg',
      'x'.repeat(1024),
    ]) {
      assert.doesNotThrow(() => assertValidObjectKey(key), key);
    }
  });

  it('rejects traversal, absolute paths, backslashes and odd characters with a reason', () => {
    for (const key of INVALID_KEYS) {
      assert.throws(() => assertValidObjectKey(key), InvalidKeyError, JSON.stringify(key));
    }
    assert.throws(() => assertValidObjectKey('../x'), { name: 'InvalidKeyError', reason: 'must not contain ".."' });
  });
});

describe('assertValidKeyPrefix', () => {
  it('accepts empty, directory-like and partial prefixes', () => {
    for (const prefix of ['', 'generations/', 'generations/0b9f', 'a/b/c/']) {
      assert.doesNotThrow(() => assertValidKeyPrefix(prefix), prefix);
    }
  });

  it('rejects prefixes no valid key could start with', () => {
    for (const prefix of ['/', '/a/', '../', 'a//', 'a\\', 'a b/', 'a/../']) {
      assert.throws(() => assertValidKeyPrefix(prefix), InvalidKeyError, JSON.stringify(prefix));
    }
  });
});
