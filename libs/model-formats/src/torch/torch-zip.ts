// The PyTorch ZIP format (torch >= 1.6): <prefix>/data.pkl holds the pickled object, each storage
// is the record <prefix>/data/<key>, and <prefix>/byteorder says how the storages are encoded.
import { dtypeByteSize } from '../safetensors-dtype.js';
import { CheckpointError } from '../pickle/errors.js';
import { unpickle } from '../pickle/unpickler.js';
import type { PickleValue } from '../pickle/values.js';
import { ZipArchive, type ZipLimits } from '../zip/zip-reader.js';
import { parseStorageId } from './persistent-id.js';
import { StorageTable } from './storage-table.js';

export interface LoadedCheckpoint {
  root: PickleValue;
  bigEndian: boolean;
}

export function isZipCheckpoint(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export function loadZipCheckpoint(bytes: Uint8Array, limits?: ZipLimits): LoadedCheckpoint {
  const archive = ZipArchive.open(bytes, limits);
  const pickles = [...archive.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new CheckpointError(pickles.length === 0 ? 'ZIP archive has no <folder>/data.pkl: not a PyTorch checkpoint' : `ZIP archive has ${pickles.length} data.pkl records`);
  }
  const prefix = pickles[0].slice(0, -'/data.pkl'.length);
  const bigEndian = readByteOrder(archive, prefix);
  const storages = new StorageTable();
  const { value } = unpickle(archive.read(pickles[0]), {
    persistentLoad: (pid) => {
      const id = parseStorageId(pid, false);
      return storages.get(id, () => {
        const record = `${prefix}/data/${id.key}`;
        if (!archive.has(record)) throw new CheckpointError(`storage "${id.key}" has no record ${record}`);
        const data = archive.read(record);
        const expected = id.numel * dtypeByteSize(id.dtype);
        if (data.byteLength !== expected) {
          throw new CheckpointError(`storage "${id.key}" is ${data.byteLength} bytes but ${id.numel} ${id.dtype} elements need ${expected}`);
        }
        return data;
      });
    },
  });
  return { root: value, bigEndian };
}

function readByteOrder(archive: ZipArchive, prefix: string): boolean {
  const record = `${prefix}/byteorder`;
  // Files written before torch 1.10 have no byteorder record and are little-endian.
  if (!archive.has(record)) return false;
  const order = new TextDecoder().decode(archive.read(record)).trim();
  if (order !== 'little' && order !== 'big') throw new CheckpointError(`${record} says ${JSON.stringify(order.slice(0, 40))}, expected little or big`);
  return order === 'big';
}
