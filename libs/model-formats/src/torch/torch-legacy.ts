// The legacy torch.save format (torch < 1.6): five pickles in a row (magic number, protocol
// version, system info, the object, the list of storage keys), then each storage as an int64
// element count followed by its raw bytes, in key order.
import { dtypeByteSize } from '../safetensors-dtype.js';
import { CheckpointError } from '../pickle/errors.js';
import { unpickle } from '../pickle/unpickler.js';
import { describeValue, PickleDict, TorchStorage, type PickleValue } from '../pickle/values.js';
import { parseStorageId } from './persistent-id.js';
import { StorageTable } from './storage-table.js';
import type { LoadedCheckpoint } from './torch-zip.js';

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

interface PendingView {
  storage: TorchStorage;
  root: TorchStorage;
  offset: number;
  size: number;
}

export function loadLegacyCheckpoint(bytes: Uint8Array): LoadedCheckpoint {
  const magic = unpickle(bytes);
  if (magic.value !== MAGIC) throw new CheckpointError('not a PyTorch checkpoint: no ZIP archive and no legacy magic number');
  const protocol = unpickle(bytes, { start: magic.end });
  if (protocol.value !== PROTOCOL_VERSION) {
    const found = typeof protocol.value === 'number' ? String(protocol.value) : describeValue(protocol.value);
    throw new CheckpointError(`legacy protocol version ${found} is not supported (expected ${PROTOCOL_VERSION})`);
  }
  const info = unpickle(bytes, { start: protocol.end });
  const bigEndian = info.value instanceof PickleDict && info.value.get('little_endian') === false;

  const roots = new StorageTable();
  const views = new Map<string, PendingView>();
  const main = unpickle(bytes, {
    start: info.end,
    persistentLoad: (pid) => {
      const id = parseStorageId(pid, true);
      const root = roots.get(id);
      if (id.view === undefined) return root;
      const known = views.get(id.view.key);
      if (known !== undefined) return known.storage;
      const storage = new TorchStorage(id.view.key, id.dtype, id.view.size);
      views.set(id.view.key, { storage, root, offset: id.view.offset, size: id.view.size });
      return storage;
    },
  });
  const keys = unpickle(bytes, { start: main.end });
  const end = readStorages(bytes, keys.value, keys.end, roots, bigEndian);
  if (end !== bytes.byteLength) throw new CheckpointError(`${bytes.byteLength - end} unexpected bytes after the last storage`);
  for (const view of views.values()) {
    const size = dtypeByteSize(view.root.dtype);
    const data = view.root.data;
    if (data === undefined || (view.offset + view.size) * size > data.byteLength) {
      throw new CheckpointError(`storage view "${view.storage.key}" lies outside storage "${view.root.key}"`);
    }
    view.storage.data = data.subarray(view.offset * size, (view.offset + view.size) * size);
  }
  return { root: main.value, bigEndian };
}

function readStorages(bytes: Uint8Array, keys: PickleValue, start: number, roots: StorageTable, bigEndian: boolean): number {
  if (!Array.isArray(keys)) throw new CheckpointError(`storage key list is ${describeValue(keys)}, not a list`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = start;
  for (const key of keys) {
    const storage = typeof key === 'string' ? roots.byKey.get(key) : undefined;
    if (storage === undefined) throw new CheckpointError(`storage key ${typeof key === 'string' ? JSON.stringify(key) : describeValue(key)} was never referenced`);
    if (storage.data !== undefined) throw new CheckpointError(`storage "${storage.key}" is listed twice`);
    if (at + 8 > bytes.byteLength) throw new CheckpointError(`truncated: storage "${storage.key}" has no size`);
    // The element count is written in the saving machine's byte order.
    const numel = view.getBigInt64(at, !bigEndian);
    if (numel !== BigInt(storage.numel)) throw new CheckpointError(`storage "${storage.key}" holds ${numel} elements, its id says ${storage.numel}`);
    const length = storage.numel * dtypeByteSize(storage.dtype);
    if (at + 8 + length > bytes.byteLength) throw new CheckpointError(`truncated: storage "${storage.key}" needs ${length} bytes`);
    storage.data = bytes.subarray(at + 8, at + 8 + length);
    at += 8 + length;
  }
  return at;
}
