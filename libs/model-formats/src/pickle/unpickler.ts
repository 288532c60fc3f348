// A pickle machine that interprets opcodes without executing anything. It builds plain values
// and, through the allowlist, inert placeholders; every other global, the object-creating
// opcodes and anything unknown are refused at the opcode that asks for them.
import type { GlobalSpec } from './allowlist-spec.js';
import { ALLOWLIST } from './allowlist.js';
import { ByteReader } from './byte-reader.js';
import { PickleError, UnsafePickleError } from './errors.js';
import { Op, opcodeName } from './opcodes.js';
import { describeValue, GlobalRef, NumpyDtype, PickleDict, PickleSet, PickleTuple, type PickleValue } from './values.js';

export interface UnpickleOptions {
  /** Resolves BINPERSID ids (torch storages). Without it a persistent id is refused. */
  persistentLoad?: (pid: PickleValue) => PickleValue;
  /** Where the pickle starts in `bytes` (the legacy torch format chains several). */
  start?: number;
  allowlist?: ReadonlyMap<string, GlobalSpec>;
}

export interface UnpickleResult {
  value: PickleValue;
  /** Offset just past STOP. */
  end: number;
}

const HIGHEST_PROTOCOL = 5;
/** Python ints in checkpoints are small; a huge LONG is only a way to burn CPU. */
const MAX_LONG_BYTES = 256;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): UnpickleResult {
  return new Machine(bytes, options).run();
}

class Machine {
  private readonly reader: ByteReader;
  private readonly allowlist: ReadonlyMap<string, GlobalSpec>;
  private stack: PickleValue[] = [];
  private readonly marks: PickleValue[][] = [];
  private readonly memo = new Map<number, PickleValue>();
  private at = 0;

  constructor(
    bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.reader = new ByteReader(bytes, options.start ?? 0);
    this.allowlist = options.allowlist ?? ALLOWLIST;
  }

  run(): UnpickleResult {
    for (;;) {
      this.at = this.reader.pos;
      if (this.reader.remaining === 0) throw new PickleError('truncated: the pickle ends before STOP', this.at);
      const op = this.reader.u8('opcode');
      if (op === Op.STOP) return { value: this.pop(), end: this.reader.pos };
      try {
        this.step(op);
      } catch (error) {
        if (error instanceof UnsafePickleError && error.offset === undefined) throw new UnsafePickleError(error.offender, error.reason, this.at);
        throw error;
      }
    }
  }

  private step(op: number): void {
    const r = this.reader;
    switch (op) {
      case Op.PROTO: {
        const version = r.u8('protocol');
        if (version > HIGHEST_PROTOCOL) throw new PickleError(`unsupported pickle protocol ${version}`, this.at);
        return;
      }
      case Op.FRAME: {
        // Frames only tell a streaming reader how much to buffer; the whole pickle is in memory.
        const length = r.u64('frame length');
        if (length > r.remaining) throw new PickleError(`truncated: frame of ${length} bytes, ${r.remaining} left`, this.at);
        return;
      }
      case Op.MARK:
        this.marks.push(this.stack);
        this.stack = [];
        return;
      case Op.POP:
        if (this.stack.length > 0) this.stack.pop();
        else this.popMark();
        return;
      case Op.POP_MARK:
        this.popMark();
        return;
      case Op.DUP:
        return this.push(this.top());
      case Op.NONE:
        return this.push(null);
      case Op.NEWTRUE:
        return this.push(true);
      case Op.NEWFALSE:
        return this.push(false);
      case Op.BININT:
        return this.push(r.i32('BININT'));
      case Op.BININT1:
        return this.push(r.u8('BININT1'));
      case Op.BININT2:
        return this.push(r.u16('BININT2'));
      case Op.LONG1:
        return this.push(this.long(r.u8('LONG1 length')));
      case Op.LONG4:
        return this.push(this.long(r.i32('LONG4 length')));
      case Op.INT:
        return this.push(this.textInt(r.line('INT'), true));
      case Op.LONG:
        return this.push(this.textInt(r.line('LONG').replace(/L$/, ''), false));
      case Op.FLOAT:
        return this.push(this.textFloat(r.line('FLOAT')));
      case Op.BINFLOAT:
        return this.push(r.f64be('BINFLOAT'));
      case Op.SHORT_BINUNICODE:
        return this.push(this.text(r.take(r.u8('length'), 'SHORT_BINUNICODE')));
      case Op.BINUNICODE:
        return this.push(this.text(r.take(r.u32('length'), 'BINUNICODE')));
      case Op.BINUNICODE8:
        return this.push(this.text(r.take(r.u64('length'), 'BINUNICODE8')));
      case Op.SHORT_BINSTRING:
        return this.push(this.text(r.take(r.u8('length'), 'SHORT_BINSTRING')));
      case Op.BINSTRING:
        return this.push(this.text(r.take(this.length32(r.i32('length')), 'BINSTRING')));
      case Op.SHORT_BINBYTES:
        return this.push(r.take(r.u8('length'), 'SHORT_BINBYTES'));
      case Op.BINBYTES:
        return this.push(r.take(r.u32('length'), 'BINBYTES'));
      case Op.BINBYTES8:
      case Op.BYTEARRAY8:
        return this.push(r.take(r.u64('length'), opcodeName(op)));
      case Op.EMPTY_TUPLE:
        return this.push(new PickleTuple([]));
      case Op.TUPLE1:
      case Op.TUPLE2:
      case Op.TUPLE3: {
        const count = op - Op.TUPLE1 + 1;
        const items = this.popN(count);
        return this.push(new PickleTuple(items));
      }
      case Op.TUPLE:
        return this.push(new PickleTuple(this.popMark()));
      case Op.EMPTY_LIST:
        return this.push([]);
      case Op.LIST:
        return this.push(this.popMark());
      case Op.APPEND: {
        const value = this.pop();
        this.list('APPEND').push(value);
        return;
      }
      case Op.APPENDS: {
        const items = this.popMark();
        const list = this.list('APPENDS');
        // A loop, not push(...items): a crafted MARK group can hold more items than a call has arguments.
        for (const item of items) list.push(item);
        return;
      }
      case Op.EMPTY_DICT:
        return this.push(new PickleDict());
      case Op.DICT: {
        const dict = new PickleDict();
        this.setItems(dict, this.popMark());
        return this.push(dict);
      }
      case Op.SETITEM: {
        const value = this.pop();
        const key = this.pop();
        this.setItems(this.dict('SETITEM'), [key, value]);
        return;
      }
      case Op.SETITEMS: {
        const items = this.popMark();
        this.setItems(this.dict('SETITEMS'), items);
        return;
      }
      case Op.EMPTY_SET:
        return this.push(new PickleSet([], false));
      case Op.FROZENSET:
        return this.push(new PickleSet(this.popMark(), true));
      case Op.ADDITEMS: {
        const items = this.popMark();
        const target = this.top();
        if (!(target instanceof PickleSet) || target.frozen) throw new PickleError(`ADDITEMS on ${describeValue(target)}`, this.at);
        for (const item of items) target.items.push(item);
        return;
      }
      case Op.BINPUT:
        return this.put(r.u8('BINPUT index'));
      case Op.LONG_BINPUT:
        return this.put(r.u32('LONG_BINPUT index'));
      case Op.PUT:
        return this.put(this.index(r.line('PUT')));
      case Op.MEMOIZE:
        return this.put(this.memo.size);
      case Op.BINGET:
        return this.get(r.u8('BINGET index'));
      case Op.LONG_BINGET:
        return this.get(r.u32('LONG_BINGET index'));
      case Op.GET:
        return this.get(this.index(r.line('GET')));
      case Op.GLOBAL: {
        const module = r.line('GLOBAL module');
        const name = r.line('GLOBAL name');
        return this.push(this.resolve(module, name, 'GLOBAL'));
      }
      case Op.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw new PickleError(`STACK_GLOBAL needs two strings, got ${describeValue(module)} and ${describeValue(name)}`, this.at);
        }
        return this.push(this.resolve(module, name, 'STACK_GLOBAL'));
      }
      case Op.REDUCE:
        return this.reduce();
      case Op.BUILD:
        return this.build();
      case Op.BINPERSID:
        return this.persistent(this.pop());
      case Op.PERSID:
        return this.persistent(r.line('PERSID'));
      case Op.INST: {
        const module = r.line('INST module');
        const name = r.line('INST name');
        throw new UnsafePickleError(`${module}.${name}`, 'INST instantiates an arbitrary class');
      }
      case Op.OBJ: {
        const items = this.popMark();
        throw new UnsafePickleError(this.classOf(items[0], 'OBJ'), 'OBJ instantiates an arbitrary class');
      }
      case Op.NEWOBJ: {
        const [cls] = this.popN(2);
        throw new UnsafePickleError(this.classOf(cls, 'NEWOBJ'), 'NEWOBJ calls cls.__new__');
      }
      case Op.NEWOBJ_EX: {
        const [cls] = this.popN(3);
        throw new UnsafePickleError(this.classOf(cls, 'NEWOBJ_EX'), 'NEWOBJ_EX calls cls.__new__');
      }
      default:
        throw new UnsafePickleError(opcodeName(op), 'not accepted by this reader');
    }
  }

  private resolve(module: string, name: string, via: string): GlobalRef {
    const qualifiedName = `${module}.${name}`;
    const spec = this.allowlist.get(qualifiedName);
    if (spec === undefined) throw new UnsafePickleError(qualifiedName, `${via} names a global outside the allowlist`);
    return new GlobalRef(qualifiedName, spec);
  }

  private reduce(): void {
    const args = this.pop();
    const callable = this.pop();
    if (!(callable instanceof GlobalRef)) throw new UnsafePickleError('REDUCE', `the callable is ${describeValue(callable)}, not an allowlisted global`);
    if (callable.spec.kind !== 'call') throw new UnsafePickleError(callable.qualifiedName, 'may appear as a value but not be called');
    if (!(args instanceof PickleTuple)) {
      throw new UnsafePickleError(callable.qualifiedName, `REDUCE arguments must be a tuple, got ${describeValue(args)}`);
    }
    this.push(callable.spec.call(args, callable.qualifiedName));
  }

  /** BUILD sets an object's state; only the placeholders torch and numpy actually build pass. */
  private build(): void {
    const state = this.pop();
    const target = this.top();
    if (target instanceof PickleDict && target.ordered && (state === null || state instanceof PickleDict)) {
      // An OrderedDict's instance attributes (torch's `_metadata` versions); nothing to keep.
      return;
    }
    if (target instanceof NumpyDtype && state instanceof PickleTuple) {
      const order = state.items[1];
      if (order === '<' || order === '>' || order === '|' || order === '=') target.byteOrder = order;
      else throw new UnsafePickleError('numpy.dtype', `BUILD byte order must be one of < > | =, got ${describeValue(order ?? null)}`);
      return;
    }
    throw new UnsafePickleError('BUILD', `setting ${describeValue(state)} as the state of ${describeValue(target)}`);
  }

  private persistent(pid: PickleValue): void {
    const load = this.options.persistentLoad;
    if (load === undefined) throw new UnsafePickleError('BINPERSID', 'persistent ids are not expected in this pickle');
    this.push(load(pid));
  }

  private classOf(value: PickleValue | undefined, via: string): string {
    return value instanceof GlobalRef ? value.qualifiedName : via;
  }

  private setItems(dict: PickleDict, items: readonly PickleValue[]): void {
    if (items.length % 2 !== 0) throw new PickleError('odd number of items for a dict', this.at);
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (Array.isArray(key) || key instanceof PickleDict || (key instanceof PickleSet && !key.frozen)) {
        throw new PickleError(`unhashable dict key (${describeValue(key)})`, this.at);
      }
      dict.entries.set(key, items[i + 1]);
    }
  }

  private list(via: string): PickleValue[] {
    const target = this.top();
    if (!Array.isArray(target)) throw new PickleError(`${via} on ${describeValue(target)}`, this.at);
    return target;
  }

  private dict(via: string): PickleDict {
    const target = this.top();
    if (!(target instanceof PickleDict)) throw new PickleError(`${via} on ${describeValue(target)}`, this.at);
    return target;
  }

  private put(index: number): void {
    this.memo.set(index, this.top());
  }

  private get(index: number): void {
    const value = this.memo.get(index);
    if (value === undefined) throw new PickleError(`memo index ${index} was never stored`, this.at);
    this.push(value);
  }

  private long(length: number): number | bigint {
    if (length < 0 || length > MAX_LONG_BYTES) throw new PickleError(`LONG of ${length} bytes (at most ${MAX_LONG_BYTES})`, this.at);
    const bytes = this.reader.take(length, 'LONG');
    let value = 0n;
    for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
    if (length > 0 && bytes[length - 1] & 0x80) value -= 1n << BigInt(8 * length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private textInt(line: string, boolCodes: boolean): PickleValue {
    if (boolCodes && line === '00') return false;
    if (boolCodes && line === '01') return true;
    if (!/^[+-]?\d{1,600}$/.test(line)) throw new PickleError(`bad integer literal ${JSON.stringify(line.slice(0, 40))}`, this.at);
    const value = BigInt(line);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private textFloat(line: string): number {
    const value = Number(line);
    if (line.trim() === '' || (Number.isNaN(value) && line !== 'nan')) throw new PickleError(`bad float literal ${JSON.stringify(line.slice(0, 40))}`, this.at);
    return value;
  }

  private index(line: string): number {
    if (!/^\d{1,10}$/.test(line)) throw new PickleError(`bad memo index ${JSON.stringify(line.slice(0, 40))}`, this.at);
    return Number(line);
  }

  private length32(length: number): number {
    if (length < 0) throw new PickleError(`negative length ${length}`, this.at);
    return length;
  }

  private text(raw: Uint8Array): string {
    try {
      return utf8.decode(raw);
    } catch {
      throw new PickleError('string is not valid UTF-8', this.at);
    }
  }

  private push(value: PickleValue): void {
    this.stack.push(value);
  }

  private pop(): PickleValue {
    if (this.stack.length === 0) throw new PickleError('stack underflow', this.at);
    return this.stack.pop() as PickleValue;
  }

  private popN(count: number): PickleValue[] {
    if (this.stack.length < count) throw new PickleError('stack underflow', this.at);
    return this.stack.splice(this.stack.length - count, count);
  }

  private top(): PickleValue {
    if (this.stack.length === 0) throw new PickleError('stack underflow', this.at);
    return this.stack[this.stack.length - 1];
  }

  private popMark(): PickleValue[] {
    const items = this.stack;
    const previous = this.marks.pop();
    if (previous === undefined) throw new PickleError('no MARK to pop to', this.at);
    this.stack = previous;
    return items;
  }
}
