import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PickleError, UnsafePickleError } from './errors.js';
import { Op } from './opcodes.js';
import { PickleWriter } from './testing/pickle-writer.js';
import { unpickle } from './unpickler.js';
import { PickleDict, PickleSet, PickleTuple, type PickleValue } from './values.js';

function load(w: PickleWriter): PickleValue {
  return unpickle(w.toBytes()).value;
}

/** The pickle is refused with UnsafePickleError naming `offender`, at the opcode that asked. */
function refused(w: PickleWriter, offender: string, reason: RegExp, at?: number): void {
  assert.throws(
    () => unpickle(w.toBytes(), { persistentLoad: () => assert.fail('nothing may be loaded from a refused pickle') }),
    (error: unknown) => {
      assert.ok(error instanceof UnsafePickleError, `expected UnsafePickleError, got ${String(error)}`);
      assert.equal(error.offender, offender);
      assert.match(error.message, reason);
      assert.ok(error.message.includes(offender), 'the message names the offender');
      if (at !== undefined) assert.equal(error.offset, at, 'refused at the opcode that asked, before anything after it ran');
      return true;
    },
  );
}

test('plain values of every protocol come back as data', () => {
  const w = new PickleWriter().proto(4).frame(0).emptyDict().memoize();
  w.mark();
  w.str('ints').mark().int(0).int(255).int(65535).int(-1).int(2 ** 31 - 1).int(-(2 ** 31)).int(2 ** 40).int(-(2n ** 70n)).op(Op.LIST);
  w.str('floats').emptyList().float(0.1).append().float(-2.5).append();
  w.str('text').str('naïve ✓');
  w.str('bytes').bytes(Uint8Array.from([0, 255, 7]));
  w.str('tuple').int(1).str('a').none().tuple(3);
  w.str('set').op(Op.EMPTY_SET).mark().int(1).int(2).op(Op.ADDITEMS);
  w.str('frozen').mark().str('x').op(Op.FROZENSET);
  w.str('flags').bool(true).bool(false).tuple(2);
  w.str('memo').get(0);
  w.str('proto0').raw(Op.INT, ...new TextEncoder().encode('01\n'));
  w.str('py2set').global('__builtin__', 'set').emptyList().str('q').append().tuple(1).reduce();
  w.str('latin1').global('_codecs', 'encode').str('\u00ff\u0000A').str('latin1').tuple(2).reduce();
  w.setitems().stop();
  const root = load(w);
  assert.ok(root instanceof PickleDict);
  assert.deepEqual(root.get('ints'), [0, 255, 65535, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2n ** 70n)]);
  assert.deepEqual(root.get('floats'), [0.1, -2.5]);
  assert.equal(root.get('text'), 'naïve ✓');
  assert.deepEqual(root.get('bytes'), Uint8Array.from([0, 255, 7]));
  assert.deepEqual(root.get('tuple'), new PickleTuple([1, 'a', null]));
  assert.deepEqual(root.get('set'), new PickleSet([1, 2], false));
  assert.deepEqual(root.get('frozen'), new PickleSet(['x'], true));
  assert.deepEqual(root.get('flags'), new PickleTuple([true, false]));
  assert.equal(root.get('memo'), root, 'a memo reference is the same object, not a copy');
  assert.equal(root.get('proto0'), true);
  assert.deepEqual(root.get('py2set'), new PickleSet(['q'], false));
  assert.deepEqual(root.get('latin1'), Uint8Array.from([0xff, 0, 0x41]));

  const text = new TextEncoder().encode('(lp0\nI42\naL123456789012345678901L\naF1.5\nag0\na.');
  const list = unpickle(text).value;
  assert.ok(Array.isArray(list));
  assert.deepEqual(list.slice(0, 3), [42, 123456789012345678901n, 1.5]);
  assert.equal(list[3], list, 'protocol 0 PUT/GET keep identity');
});

test('unpickle reports where each pickle ends, for formats that chain them', () => {
  const first = new PickleWriter().proto(2).int(7).stop().toBytes();
  const second = new PickleWriter().proto(2).str('next').stop().toBytes();
  const both = new Uint8Array([...first, ...second]);
  const a = unpickle(both);
  assert.deepEqual(a, { value: 7, end: first.length });
  assert.deepEqual(unpickle(both, { start: a.end }), { value: 'next', end: both.length });
});

test('code execution through globals is refused at the GLOBAL, naming the global', () => {
  let w = new PickleWriter().proto(2);
  let at = w.position;
  w.global('os', 'system').str('touch /tmp/pwned').tuple(1).reduce().stop();
  refused(w, 'os.system', /GLOBAL names a global outside the allowlist/, at);

  w = new PickleWriter().proto(4);
  w.str('builtins').str('eval');
  at = w.position;
  w.op(Op.STACK_GLOBAL).str('__import__("os").system("id")').tuple(1).reduce().stop();
  refused(w, 'builtins.eval', /STACK_GLOBAL names a global outside the allowlist/, at);

  w = new PickleWriter().proto(2);
  at = w.position;
  w.global('builtins', 'getattr').global('builtins', '__import__').str('os').tuple(1).reduce().str('system').tuple(2).reduce().stop();
  refused(w, 'builtins.getattr', /outside the allowlist/, at);

  w = new PickleWriter().proto(2).global('posix', 'system').str('id').tuple(1).reduce().stop();
  refused(w, 'posix.system', /outside the allowlist/, 2);

  w = new PickleWriter().proto(2).global('torch', 'load').str('/tmp/other.pt').tuple(1).reduce().stop();
  refused(w, 'torch.load', /outside the allowlist/, 2);

  w = new PickleWriter().proto(2).global('__builtin__', 'eval').str('1').tuple(1).reduce().stop();
  refused(w, '__builtin__.eval', /outside the allowlist/, 2);

  // Prefix tricks do not match an allowlisted name.
  w = new PickleWriter().proto(2).global('torch._utils', '_rebuild_tensor_v2.__globals__').stop();
  refused(w, 'torch._utils._rebuild_tensor_v2.__globals__', /outside the allowlist/);
});

test('object-creating opcodes are refused whatever class they name', () => {
  let w = new PickleWriter().proto(0).mark().str('id');
  let at = w.position;
  w.inst('subprocess', 'Popen').stop();
  refused(w, 'subprocess.Popen', /INST instantiates an arbitrary class/, at);

  w = new PickleWriter().proto(1).mark();
  at = w.position;
  w.global('subprocess', 'Popen').str('id').op(Op.OBJ).stop();
  refused(w, 'subprocess.Popen', /outside the allowlist/, at);

  w = new PickleWriter().proto(2).global('subprocess', 'Popen').emptyTuple().op(Op.NEWOBJ).stop();
  refused(w, 'subprocess.Popen', /outside the allowlist/, 2);

  // Even an allowlisted class may not be instantiated through OBJ or NEWOBJ / NEWOBJ_EX.
  w = new PickleWriter().proto(2).mark().global('collections', 'OrderedDict');
  at = w.position;
  w.op(Op.OBJ).stop();
  refused(w, 'collections.OrderedDict', /OBJ instantiates an arbitrary class/, at);

  w = new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple();
  at = w.position;
  w.op(Op.NEWOBJ).stop();
  refused(w, 'collections.OrderedDict', /NEWOBJ calls cls.__new__/, at);

  w = new PickleWriter().proto(4).global('collections', 'OrderedDict').emptyTuple().emptyDict().op(Op.NEWOBJ_EX).stop();
  refused(w, 'collections.OrderedDict', /NEWOBJ_EX calls cls.__new__/);
});

test('allowlisted names used in unexpected ways are refused, naming them', () => {
  let w = new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyList();
  const at = w.position;
  w.reduce().stop();
  refused(w, 'collections.OrderedDict', /REDUCE arguments must be a tuple, got a list/, at);

  w = new PickleWriter().proto(2).global('collections', 'OrderedDict').str('items').tuple(1).reduce().stop();
  refused(w, 'collections.OrderedDict', /expects 0 argument\(s\), got 1/);

  w = new PickleWriter().proto(2).global('_codecs', 'encode').str('x').str('rot13').tuple(2).reduce().stop();
  refused(w, '_codecs.encode', /only latin1 is accepted, got encoding "rot13"/);

  w = new PickleWriter().proto(2).global('torch', 'float32').emptyTuple().reduce().stop();
  refused(w, 'torch.float32', /may appear as a value but not be called/);

  w = new PickleWriter().proto(2).global('torch', 'FloatStorage').emptyTuple().reduce().stop();
  refused(w, 'torch.FloatStorage', /may appear as a value but not be called/);

  w = new PickleWriter().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().str('not a storage').int(0).emptyTuple().emptyTuple().bool(false);
  w.global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().stop();
  refused(w, 'torch._utils._rebuild_tensor_v2', /storage must come from a persistent id, got a str/);

  w = new PickleWriter().proto(2).str('os.system').emptyTuple().reduce().stop();
  refused(w, 'REDUCE', /the callable is a str, not an allowlisted global/);

  w = new PickleWriter().proto(2).emptyDict().str('__class__').build().stop();
  refused(w, 'BUILD', /setting a str as the state of a dict/);

  w = new PickleWriter().proto(2).str('storage').tuple(1).persid().stop();
  assert.throws(() => unpickle(w.toBytes()), (error: unknown) => error instanceof UnsafePickleError && error.offender === 'BINPERSID' && /persistent ids are not expected/.test(error.message));
});

test('unknown and unsupported opcodes are refused, naming the opcode', () => {
  refused(new PickleWriter().proto(2).raw(0xd0).stop(), 'unknown opcode 0xd0', /not accepted by this reader/, 2);
  refused(new PickleWriter().proto(2).op(Op.EXT1, [1]).stop(), 'opcode EXT1 (0x82)', /not accepted/);
  refused(new PickleWriter().proto(5).op(Op.NEXT_BUFFER).stop(), 'opcode NEXT_BUFFER (0x97)', /not accepted/);
  refused(new PickleWriter().proto(0).op(Op.STRING, new TextEncoder().encode("'x'\n")).stop(), 'opcode STRING (0x53)', /not accepted/);
});

test('truncated and malformed pickles are PickleErrors with the position', () => {
  const whole = new PickleWriter().proto(2).str('a long enough string').stop().toBytes();
  assert.throws(() => unpickle(whole.subarray(0, 10)), (error: unknown) => {
    assert.ok(error instanceof PickleError && !(error instanceof UnsafePickleError));
    assert.match(error.message, /truncated: SHORT_BINUNICODE needs 20 bytes, 6 left \(at byte 4\)/);
    return true;
  });
  assert.throws(() => unpickle(whole.subarray(0, whole.length - 1)), /truncated: the pickle ends before STOP/);
  assert.throws(() => unpickle(new PickleWriter().proto(6).none().stop().toBytes()), /unsupported pickle protocol 6/);
  assert.throws(() => unpickle(new PickleWriter().proto(2).stop().toBytes()), /stack underflow/);
  assert.throws(() => unpickle(new PickleWriter().proto(2).get(3).stop().toBytes()), /memo index 3 was never stored/);
  assert.throws(() => unpickle(new PickleWriter().proto(2).setitems().stop().toBytes()), /no MARK to pop to/);
  assert.throws(() => unpickle(new PickleWriter().proto(2).emptyDict().emptyList().int(1).setitem().stop().toBytes()), /unhashable dict key \(a list\)/);
  assert.throws(() => unpickle(new PickleWriter().proto(4).frame(1000).none().stop().toBytes()), /truncated: frame of 1000 bytes/);
  assert.throws(() => unpickle(new PickleWriter().proto(2).op(Op.LONG4, [0, 0, 1, 0]).stop().toBytes()), /LONG of 65536 bytes/);
});

test('a hostile global nested deep inside an otherwise valid state dict is still refused', () => {
  const w = new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  w.str('ok').int(1).str('payload').emptyList().global('os', 'system').str('id').tuple(1).reduce().append().setitems().stop();
  refused(w, 'os.system', /outside the allowlist/);
});

test('a MARK group larger than any argument list is appended without overflowing the call stack', () => {
  const w = new PickleWriter().proto(2).emptyList().mark();
  const count = 300_000;
  for (let i = 0; i < count; i++) w.op(Op.NONE);
  const value = load(w.appends().stop());
  assert.ok(Array.isArray(value));
  assert.equal(value.length, count);
});
