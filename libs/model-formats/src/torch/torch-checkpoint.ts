// PyTorch checkpoints (.ckpt, .pt, .bin) to plain tensors and safetensors. The checkpoint's pickle
// goes through the restricted unpickler; the tensors are then read from the state dict, which
// Lightning nests under "state_dict".
import { readFile } from 'node:fs/promises';
import { serializeSafetensors, type TensorEntry } from '../safetensors.js';
import { CheckpointError } from '../pickle/errors.js';
import { describeValue, PickleDict, TorchTensor, type PickleValue } from '../pickle/values.js';
import type { ZipLimits } from '../zip/zip-reader.js';
import { tensorData } from './tensor-data.js';
import { loadLegacyCheckpoint } from './torch-legacy.js';
import { isZipCheckpoint, loadZipCheckpoint, type LoadedCheckpoint } from './torch-zip.js';

export interface TorchCheckpoint {
  tensors: Map<string, TensorEntry>;
  /** State dict entries that are not tensors (or have non-string keys), left out. */
  skipped: string[];
}

export interface TorchCheckpointOptions {
  zipLimits?: ZipLimits;
}

export function readTorchCheckpoint(bytes: Uint8Array, options: TorchCheckpointOptions = {}): TorchCheckpoint {
  const loaded = load(bytes, options);
  const stateDict = stateDictOf(loaded.root);
  const tensors = new Map<string, TensorEntry>();
  const skipped: string[] = [];
  for (const [key, value] of stateDict.entries) {
    if (typeof key !== 'string' || !(value instanceof TorchTensor)) {
      skipped.push(typeof key === 'string' ? key : `<${describeValue(key)} key>`);
      continue;
    }
    tensors.set(key, tensorData(key, value, loaded.bigEndian));
  }
  return { tensors, skipped };
}

export async function readTorchCheckpointFile(path: string, options?: TorchCheckpointOptions): Promise<TorchCheckpoint> {
  const buffer = await readFile(path);
  return readTorchCheckpoint(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), options);
}

/** The checkpoint's state dict as a safetensors file, with metadata {format: 'pt'} like the reference converter. */
export function convertCheckpointToSafetensors(
  bytes: Uint8Array,
  metadata: Readonly<Record<string, string>> = { format: 'pt' },
  options?: TorchCheckpointOptions,
): Uint8Array {
  const { tensors, skipped } = readTorchCheckpoint(bytes, options);
  if (tensors.size === 0) {
    throw new CheckpointError(`the checkpoint holds no tensors${skipped.length > 0 ? ` (entries: ${skipped.slice(0, 10).join(', ')})` : ''}`);
  }
  return serializeSafetensors(tensors, metadata);
}

function load(bytes: Uint8Array, options: TorchCheckpointOptions): LoadedCheckpoint {
  if (isZipCheckpoint(bytes)) return loadZipCheckpoint(bytes, options.zipLimits);
  if (bytes.byteLength > 262 && new TextDecoder('latin1').decode(bytes.subarray(257, 262)) === 'ustar') {
    throw new CheckpointError('tar checkpoints (PyTorch before 0.4) are not supported');
  }
  if (bytes[0] !== 0x80) throw new CheckpointError('not a PyTorch checkpoint: neither a ZIP archive nor a pickle');
  return loadLegacyCheckpoint(bytes);
}

function stateDictOf(root: PickleValue): PickleDict {
  if (!(root instanceof PickleDict)) throw new CheckpointError(`the checkpoint holds ${describeValue(root)}, not a state dict`);
  const nested = root.get('state_dict');
  return nested instanceof PickleDict ? nested : root;
}
