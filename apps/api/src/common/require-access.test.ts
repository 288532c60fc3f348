import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpException } from '@nestjs/common';
import { Scope, type Principal } from '@atelier/tenancy';
import { requireAccess } from './require-access.js';

const alpha: Principal = { keyId: 'k1', tenant: 'alpha', scopes: [Scope.Generate] };
const operator: Principal = { keyId: 'k2', tenant: 'ops', scopes: [Scope.Generate, Scope.Admin] };

function status(run: () => unknown): number {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof HttpException);
    return error.getStatus();
  }
  return 200;
}

describe('requireAccess (the one ownership check)', () => {
  it("answers another tenant's record exactly like a missing one", () => {
    const record = { id: 'g1', tenant: 'beta' };
    assert.equal(status(() => requireAccess(alpha, record, 'generation', 'g1')), 404);
    assert.equal(status(() => requireAccess(alpha, undefined, 'generation', 'g1')), 404);
    assert.equal(requireAccess(alpha, { id: 'g2', tenant: 'alpha' }, 'generation', 'g2').id, 'g2');
  });

  it('lets an admin act on any tenant’s registered model, and on nothing else of another tenant', () => {
    assert.equal(requireAccess(operator, { tenant: 'beta', name: 'x' }, 'registered model', 'lora:x').name, 'x');
    for (const kind of ['generation', 'batch', 'training'] as const) assert.equal(status(() => requireAccess(operator, { tenant: 'beta' }, kind, 'id')), 404, kind);
    assert.equal(status(() => requireAccess(alpha, { tenant: 'beta' }, 'registered model', 'lora:x')), 404);
  });
});
