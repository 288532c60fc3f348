// Model file formats: safetensors (read, validate, write) and PyTorch checkpoints (.ckpt, .pt,
// .bin) converted to safetensors.
//
// Safety: a PyTorch checkpoint is a Python pickle, and unpickling with Python runs whatever the
// file names, so a downloaded checkpoint is executable code. Here pickles are never executed: a
// small pickle machine written in TypeScript interprets the opcodes and only knows an allowlist
// of globals, each of which builds an inert placeholder (a tensor description, a storage
// reference, a plain dictionary):
//   collections.OrderedDict; torch._utils._rebuild_tensor, _rebuild_tensor_v2,
//   _rebuild_parameter, _rebuild_parameter_with_state; torch._tensor._rebuild_from_type_v2;
//   the storage types torch.{Double,Float,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage and
//   torch.UntypedStorage (only as persistent-id tags); torch.Size; _codecs.encode (latin-1 only,
//   how protocol 2 writes bytes); builtins/__builtin__ set and frozenset (protocol 2 sets);
//   numpy.core.multiarray.scalar (and numpy 2's numpy._core name) with numpy.dtype (plain numbers);
//   and a few names that may only appear as inert references, never be called (torch dtypes,
//   torch.Tensor, torch.nn.parameter.Parameter, Lightning's ModelCheckpoint class used as a key).
// Any other global, any call of an allowlisted name with unexpected arguments, the object-creating
// opcodes (INST, OBJ, NEWOBJ, NEWOBJ_EX), extension codes, out-of-band buffers and unknown opcodes
// are refused with UnsafePickleError naming the offender, before anything is constructed.
// Archives are read with the same suspicion: ZIP entries with traversing names, overlapping data,
// mismatched or oversized declared sizes are refused; safetensors headers are validated in full
// before a tensor is exposed.
export {
  float32Tensor,
  MAX_HEADER_BYTES,
  parseSafetensors,
  readSafetensorsFile,
  serializeSafetensors,
  type SafetensorsFile,
  type TensorEntry,
  type TensorInput,
} from './safetensors.js';
export { dtypeByteSize, elementCount, isSafetensorsDtype, SAFETENSORS_DTYPES, type SafetensorsDtype } from './safetensors-dtype.js';
export { SafetensorsError } from './safetensors-error.js';
export { inspectSafetensorsHeader, looksLikeSafetensorsStart } from './safetensors-file-header.js';
export { tensorToFloat32, type RawTensor } from './tensor-convert.js';
export { CheckpointError, PickleError, UnsafePickleError } from './pickle/errors.js';
export { ALLOWLIST } from './pickle/allowlist.js';
export type { GlobalSpec } from './pickle/allowlist-spec.js';
export { unpickle, type UnpickleOptions, type UnpickleResult } from './pickle/unpickler.js';
export { GlobalRef, NumpyDtype, PickleDict, PickleSet, PickleTuple, TorchStorage, TorchTensor, type PickleValue } from './pickle/values.js';
export {
  convertCheckpointToSafetensors,
  readTorchCheckpoint,
  readTorchCheckpointFile,
  type TorchCheckpoint,
  type TorchCheckpointOptions,
} from './torch/torch-checkpoint.js';
export { ZipError } from './zip/zip-error.js';
export { ZipArchive, type ZipEntry, type ZipLimits } from './zip/zip-reader.js';
