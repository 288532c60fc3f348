import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { controlAccess } from './control-access.js';

const from = (remoteAddress: string, authorization?: string): IncomingMessage =>
  ({ headers: authorization === undefined ? {} : { authorization }, socket: { remoteAddress } }) as unknown as IncomingMessage;

describe('worker control access (POST /drain, /undrain)', () => {
  it('without WORKER_CONTROL_TOKEN: loopback callers only', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.deepEqual(controlAccess(from(address), undefined), { allowed: true }, address);
    for (const address of ['10.0.0.5', '::ffff:10.0.0.5', '192.168.1.2', 'fe80::1']) assert.equal(controlAccess(from(address), undefined).allowed, false, address);
    assert.equal((controlAccess(from('10.0.0.5'), undefined) as { status: number }).status, 403);
  });

  it('with WORKER_CONTROL_TOKEN: the Bearer token, in any scheme case, from anywhere, loopback included', () => {
    const token = 'control-token-0123456789';
    assert.deepEqual(controlAccess(from('10.0.0.5', `bearer ${token}`), token), { allowed: true });
    assert.deepEqual(controlAccess(from('10.0.0.5', `BEARER ${token}`), token), { allowed: true });
    for (const authorization of [undefined, `Bearer ${token}x`, `Basic ${token}`, 'Bearer', '']) {
      const decision = controlAccess(from('127.0.0.1', authorization), token);
      assert.equal(decision.allowed, false, String(authorization));
      assert.equal((decision as { status: number }).status, 401);
    }
  });
});
