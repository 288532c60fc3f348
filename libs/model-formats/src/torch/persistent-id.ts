// Persistent ids are how torch pickles point at tensor storages kept outside the pickle:
// ('storage', <storage class>, key, location, numel[, view_metadata]).
import type { SafetensorsDtype } from '../safetensors-dtype.js';
import { CheckpointError } from '../pickle/errors.js';
import { describeValue, GlobalRef, PickleTuple, type PickleValue } from '../pickle/values.js';

export interface StorageId {
  dtype: SafetensorsDtype;
  key: string;
  numel: number;
  /** Legacy format only: a window (in elements) of the root storage `key`. */
  view?: { key: string; offset: number; size: number };
}

function count(value: PickleValue, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CheckpointError(`persistent id: ${what} must be a non-negative integer, got ${describeValue(value)}`);
  }
  return value;
}

function key(value: PickleValue, what: string): string {
  // Keys name archive records; torch writes decimal numbers, nothing path-like.
  if (typeof value !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(value)) {
    throw new CheckpointError(`persistent id: ${what} must be a short alphanumeric string, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : describeValue(value)}`);
  }
  return value;
}

export function parseStorageId(pid: PickleValue, legacy: boolean): StorageId {
  if (!(pid instanceof PickleTuple)) throw new CheckpointError(`persistent id must be a tuple, got ${describeValue(pid)}`);
  const items = pid.items;
  if (items[0] !== 'storage') {
    const kind = typeof items[0] === 'string' ? JSON.stringify(items[0]) : describeValue(items[0] ?? null);
    throw new CheckpointError(`persistent id of kind ${kind} is not supported (only storages)`);
  }
  if (items.length !== (legacy ? 6 : 5)) throw new CheckpointError(`storage persistent id has ${items.length} fields, expected ${legacy ? 6 : 5}`);
  const type = items[1];
  if (!(type instanceof GlobalRef) || type.spec.kind !== 'storage') {
    throw new CheckpointError(`persistent id: storage type must be a torch storage class, got ${describeValue(type)}`);
  }
  if (typeof items[3] !== 'string') throw new CheckpointError(`persistent id: location must be a str, got ${describeValue(items[3])}`);
  const id: StorageId = { dtype: type.spec.dtype, key: key(items[2], 'key'), numel: count(items[4], 'numel') };
  const view = legacy ? items[5] : null;
  if (view !== null) {
    if (!(view instanceof PickleTuple) || view.items.length !== 3) throw new CheckpointError(`persistent id: view metadata must be a 3-tuple, got ${describeValue(view)}`);
    id.view = { key: key(view.items[0], 'view key'), offset: count(view.items[1], 'view offset'), size: count(view.items[2], 'view size') };
  }
  return id;
}
