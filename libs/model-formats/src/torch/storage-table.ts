// One TorchStorage per key, however many tensors name it, so shared storages stay shared.
import { CheckpointError } from '../pickle/errors.js';
import { TorchStorage } from '../pickle/values.js';
import type { StorageId } from './persistent-id.js';

export class StorageTable {
  readonly byKey = new Map<string, TorchStorage>();

  /** The storage for `id`, created on first sight with `load` supplying its bytes (if known yet). */
  get(id: Pick<StorageId, 'dtype' | 'key' | 'numel'>, load?: () => Uint8Array): TorchStorage {
    const known = this.byKey.get(id.key);
    if (known !== undefined) {
      if (known.dtype !== id.dtype) {
        throw new CheckpointError(`storage "${id.key}" is named as both ${known.dtype} and ${id.dtype}`);
      }
      return known;
    }
    const storage = new TorchStorage(id.key, id.dtype, id.numel, load?.());
    this.byKey.set(id.key, storage);
    return storage;
  }
}
