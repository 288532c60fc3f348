// Builds checkpoints the way torch.save writes them (protocol 2 pickles, memoized globals,
// OrderedDict state dicts with a _metadata attribute), in the ZIP and the legacy layouts.
import type { SafetensorsDtype } from '../../safetensors-dtype.js';
import { writeZip, type ZipFixtureOptions } from '../../zip/testing/zip-writer.js';
import { PickleWriter } from './pickle-writer.js';

export interface FixtureTensor {
  storage: string;
  dtype: SafetensorsDtype;
  /** Elements in the whole storage. */
  numel: number;
  shape: number[];
  offset?: number;
  stride?: number[];
  parameter?: boolean;
  /** Legacy format only: the storage is a window of `storage`. */
  view?: { key: string; offset: number; size: number };
}

export type FixtureValue =
  | null
  | boolean
  | number
  | string
  | { tensor: FixtureTensor }
  | { dict: [FixtureKey, FixtureValue][]; ordered?: boolean }
  | { global: [string, string] }
  /** A numpy float64 scalar, pickled as Lightning writes a monitored metric. */
  | { numpy: number };

export type FixtureKey = string | { global: [string, string] };

const STORAGE_CLASS: Partial<Record<SafetensorsDtype, string>> = {
  F64: 'DoubleStorage',
  F32: 'FloatStorage',
  F16: 'HalfStorage',
  BF16: 'BFloat16Storage',
  I64: 'LongStorage',
  I32: 'IntStorage',
  U8: 'ByteStorage',
  BOOL: 'BoolStorage',
};

export function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    stride[d] = step;
    step *= shape[d];
  }
  return stride;
}

class TorchPickler {
  readonly w = new PickleWriter();
  private readonly globals = new Map<string, number>();
  private memo = 0;

  constructor(private readonly legacy: boolean) {}

  /** torch memoizes each global on first use and fetches it from the memo afterwards. */
  global(module: string, name: string): void {
    const key = `${module}.${name}`;
    const index = this.globals.get(key);
    if (index !== undefined) {
      this.w.get(index);
      return;
    }
    this.w.global(module, name).put(this.memo);
    this.globals.set(key, this.memo++);
  }

  orderedDict(): void {
    this.global('collections', 'OrderedDict');
    this.w.emptyTuple().reduce();
  }

  value(value: FixtureValue): void {
    const w = this.w;
    if (value === null) w.none();
    else if (typeof value === 'boolean') w.bool(value);
    else if (typeof value === 'number' && Number.isInteger(value)) w.int(value);
    else if (typeof value === 'number') w.float(value);
    else if (typeof value === 'string') w.str(value);
    else if ('tensor' in value) this.tensor(value.tensor);
    else if ('global' in value) this.global(...value.global);
    else if ('numpy' in value) this.numpyScalar(value.numpy);
    else this.dict(value.dict, value.ordered ?? false);
  }

  /** scalar(dtype('f8', False, True) + BUILD state, _codecs.encode(<latin-1 text of the bytes>, 'latin1')) */
  private numpyScalar(value: number): void {
    const w = this.w;
    this.global('numpy.core.multiarray', 'scalar');
    this.global('numpy', 'dtype');
    w.str('f8').bool(false).bool(true).tuple(3).reduce();
    w.mark().int(3).str('<').none().none().none().int(-1).int(-1).int(0).tuple().build();
    const raw = new Uint8Array(8);
    new DataView(raw.buffer).setFloat64(0, value, true);
    this.global('_codecs', 'encode');
    w.str(String.fromCharCode(...raw)).str('latin1').tuple(2).reduce();
    w.tuple(2).reduce();
  }

  private dict(items: [FixtureKey, FixtureValue][], ordered: boolean): void {
    if (ordered) this.orderedDict();
    else this.w.emptyDict();
    if (items.length > 0) {
      this.w.mark();
      for (const [key, item] of items) {
        this.value(key);
        this.value(item);
      }
      this.w.setitems();
    }
    if (ordered) {
      // state_dict() OrderedDicts carry per-module versions in a `_metadata` attribute.
      this.w.emptyDict().str('_metadata');
      this.orderedDict();
      this.w.mark().str('').emptyDict().str('version').int(1).setitem().setitems();
      this.w.setitem().build();
    }
  }

  private tensor(t: FixtureTensor): void {
    const w = this.w;
    if (t.parameter === true) this.global('torch._utils', '_rebuild_parameter');
    this.global('torch._utils', '_rebuild_tensor_v2');
    w.mark();
    w.mark().str('storage');
    this.global('torch', STORAGE_CLASS[t.dtype] ?? 'FloatStorage');
    w.str(t.storage).str('cpu').int(t.numel);
    if (this.legacy) {
      if (t.view === undefined) w.none();
      else w.str(t.view.key).int(t.view.offset).int(t.view.size).tuple(3);
    }
    w.tuple().persid();
    w.int(t.offset ?? 0);
    this.ints(t.shape);
    this.ints(t.stride ?? contiguousStride(t.shape));
    w.bool(false);
    this.orderedDict();
    w.tuple().reduce();
    if (t.parameter === true) {
      w.bool(true);
      this.orderedDict();
      w.tuple(3).reduce();
    }
  }

  private ints(values: readonly number[]): void {
    if (values.length === 0) this.w.emptyTuple();
    else if (values.length <= 3) {
      for (const v of values) this.w.int(v);
      this.w.tuple(values.length as 1 | 2 | 3);
    } else {
      this.w.mark();
      for (const v of values) this.w.int(v);
      this.w.tuple();
    }
  }
}

export function torchPickle(root: FixtureValue, legacy = false): Uint8Array {
  const pickler = new TorchPickler(legacy);
  pickler.w.proto(2);
  pickler.value(root);
  return pickler.w.stop().toBytes();
}

export interface TorchZipOptions extends ZipFixtureOptions {
  prefix?: string;
  byteorder?: 'little' | 'big' | null;
  /** Replaces the pickle torchPickle would write (hostile payloads). */
  pickle?: Uint8Array;
}

export function torchZip(root: FixtureValue, storages: Record<string, Uint8Array>, options: TorchZipOptions = {}): Uint8Array {
  const prefix = options.prefix ?? 'archive';
  const text = (value: string) => new TextEncoder().encode(value);
  const entries = [{ name: `${prefix}/data.pkl`, data: options.pickle ?? torchPickle(root) }];
  const byteorder = options.byteorder === undefined ? 'little' : options.byteorder;
  if (byteorder !== null) entries.push({ name: `${prefix}/byteorder`, data: text(byteorder) });
  for (const [key, data] of Object.entries(storages)) entries.push({ name: `${prefix}/data/${key}`, data });
  entries.push({ name: `${prefix}/version`, data: text('3\n') }, { name: `${prefix}/.data/serialization_id`, data: text('0123456789') });
  return writeZip(entries, options);
}

/** The pre-1.6 layout: magic, protocol, sys info, object, storage keys, then each storage. */
export function legacyCheckpoint(root: FixtureValue, storages: { key: string; numel: number; data: Uint8Array }[]): Uint8Array {
  const magic = new PickleWriter().proto(2).int(0x1950a86a20f9469cfc6cn).stop().toBytes();
  const protocol = new PickleWriter().proto(2).int(1001).stop().toBytes();
  const info = new PickleWriter().proto(2).emptyDict().mark();
  info.str('protocol_version').int(1001).str('little_endian').bool(true).str('type_sizes').emptyDict();
  info.mark().str('short').int(2).str('int').int(4).str('long').int(4).setitems().setitems().stop();
  const keys = new PickleWriter().proto(2).emptyList().mark();
  for (const storage of storages) keys.str(storage.key);
  keys.appends().stop();
  const parts: Uint8Array[] = [magic, protocol, info.toBytes(), torchPickle(root, true), keys.toBytes()];
  for (const storage of storages) {
    const size = new Uint8Array(8);
    new DataView(size.buffer).setBigInt64(0, BigInt(storage.numel), true);
    parts.push(size, storage.data);
  }
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
