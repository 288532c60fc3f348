// The complete list of globals a pickle may name. Everything else is refused at GLOBAL or
// STACK_GLOBAL, before the name is even pushed.
import type { GlobalSpec } from './allowlist-spec.js';
import { arity, expectString } from './arguments.js';
import { UnsafePickleError } from './errors.js';
import { numpyGlobals } from './numpy-globals.js';
import { torchGlobals } from './torch-globals.js';
import { describeValue, PickleDict, PickleSet, type PickleTuple, type PickleValue } from './values.js';

/** OrderedDict() with no arguments; its items follow through SETITEMS. */
function orderedDict(args: PickleTuple, self: string): PickleValue {
  arity(args, self, 0);
  return new PickleDict(true);
}

/** How protocol 2 writes bytes: _codecs.encode('\x00\xff', 'latin1'). Only latin-1 is a byte copy. */
function encode(args: PickleTuple, self: string): PickleValue {
  const [text, encoding] = arity(args, self, 2);
  const name = expectString(encoding, self, 'encoding');
  if (name !== 'latin1' && name !== 'latin-1') throw new UnsafePickleError(self, `only latin1 is accepted, got encoding ${JSON.stringify(name)}`);
  const chars = expectString(text, self, 'text');
  const out = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) {
    const code = chars.charCodeAt(i);
    if (code > 0xff) throw new UnsafePickleError(self, `character U+${code.toString(16).padStart(4, '0')} is not latin-1`);
    out[i] = code;
  }
  return out;
}

/** Protocols below 4 have no set opcodes and write set([...]) / frozenset([...]) as calls. */
function setOf(frozen: boolean) {
  return (args: PickleTuple, self: string): PickleValue => {
    const [items] = arity(args, self, 0, 1);
    if (items !== undefined && !Array.isArray(items)) throw new UnsafePickleError(self, `expects a list, got ${describeValue(items)}`);
    return new PickleSet(items === undefined ? [] : [...items], frozen);
  };
}

function build(): ReadonlyMap<string, GlobalSpec> {
  const out = new Map<string, GlobalSpec>([
    ['collections.OrderedDict', { kind: 'call', call: orderedDict }],
    ['_codecs.encode', { kind: 'call', call: encode }],
    // Python 3 writes the Python 2 module name at protocol 2 for compatibility.
    ['builtins.set', { kind: 'call', call: setOf(false) }],
    ['__builtin__.set', { kind: 'call', call: setOf(false) }],
    ['builtins.frozenset', { kind: 'call', call: setOf(true) }],
    ['__builtin__.frozenset', { kind: 'call', call: setOf(true) }],
    // Lightning 1.x stores callback state keyed by the callback class itself.
    ['pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint', { kind: 'reference' }],
    ['lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint', { kind: 'reference' }],
  ]);
  for (const [name, spec] of torchGlobals()) out.set(name, spec);
  for (const [name, spec] of numpyGlobals()) out.set(name, spec);
  return out;
}

export const ALLOWLIST: ReadonlyMap<string, GlobalSpec> = build();
