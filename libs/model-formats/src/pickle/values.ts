// The only values the pickle machine ever creates: plain data and inert placeholders. None of
// them has behaviour a pickle could trigger; the torch ones merely describe where tensor bytes are.
import type { SafetensorsDtype } from '../safetensors-dtype.js';
import type { GlobalSpec } from './allowlist-spec.js';

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleSet
  | GlobalRef
  | TorchStorage
  | TorchTensor
  | NumpyDtype;

export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A dict or OrderedDict. Keys compare like Map keys: by value for scalars, by identity otherwise. */
export class PickleDict {
  readonly entries = new Map<PickleValue, PickleValue>();

  constructor(readonly ordered = false) {}

  get(key: string): PickleValue | undefined {
    return this.entries.get(key);
  }
}

export class PickleSet {
  constructor(
    readonly items: PickleValue[],
    readonly frozen: boolean,
  ) {}
}

/** A reference to an allowlisted global: a name and what it may be used for, never the object. */
export class GlobalRef {
  constructor(
    readonly qualifiedName: string,
    readonly spec: GlobalSpec,
  ) {}
}

/**
 * A storage named by a persistent id. `data` is the storage's raw bytes in file byte order; the
 * legacy format only supplies it after the pickle, hence optional.
 */
export class TorchStorage {
  data: Uint8Array | undefined;

  constructor(
    readonly key: string,
    readonly dtype: SafetensorsDtype,
    readonly numel: number,
    data?: Uint8Array,
  ) {
    this.data = data;
  }
}

/** What torch._utils._rebuild_tensor_v2 would build, kept as a description. */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

export class NumpyDtype {
  /** '<' or '>' once BUILD has set it; numpy's own default is native order. */
  byteOrder = '=';

  constructor(readonly descr: string) {}
}

/** A short description of a value's type for error messages. */
export function describeValue(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'a bool';
  if (typeof value === 'number' || typeof value === 'bigint') return 'a number';
  if (typeof value === 'string') return 'a str';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof PickleTuple) return `a ${value.items.length}-tuple`;
  if (value instanceof PickleDict) return value.ordered ? 'an OrderedDict' : 'a dict';
  if (value instanceof PickleSet) return value.frozen ? 'a frozenset' : 'a set';
  if (value instanceof GlobalRef) return `global ${value.qualifiedName}`;
  if (value instanceof TorchStorage) return 'a storage';
  if (value instanceof TorchTensor) return 'a tensor';
  return 'a numpy dtype';
}
