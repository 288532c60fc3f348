import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClusterNodes } from './redis-cluster.js';

describe('CLUSTER NODES parsing', () => {
  it('reads roles, replication, failure flags and slot ranges (importing/migrating markers ignored)', () => {
    const text = [
      'a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460',
      'b2 127.0.0.1:7001@17001 master,fail - 0 0 2 disconnected',
      'c3 127.0.0.1:7002@17002 master - 0 0 3 connected 5461-10922 [10923->-b2]',
      'd4 127.0.0.1:7003@17003 slave a1 0 0 1 connected',
      'e5 127.0.0.1:7004@17004 master - 0 0 7 connected 10923-16383 42',
    ].join('\n');
    const nodes = parseClusterNodes(text);
    assert.deepEqual(
      nodes.map((node) => [node.id, node.port, node.role, node.masterId ?? null, node.failed, node.slots]),
      [
        ['a1', 7000, 'master', null, false, [[0, 5460]]],
        ['b2', 7001, 'master', null, true, []],
        ['c3', 7002, 'master', null, false, [[5461, 10922]]],
        ['d4', 7003, 'replica', 'a1', false, []],
        ['e5', 7004, 'master', null, false, [[10923, 16383], [42, 42]]],
      ],
    );
  });
});
