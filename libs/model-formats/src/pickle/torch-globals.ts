// The torch names a state dict pickle uses. Tensors become TorchTensor descriptions of a storage
// window; parameters become their tensor; storage classes only tag persistent ids.
import type { SafetensorsDtype } from '../safetensors-dtype.js';
import type { GlobalSpec } from './allowlist-spec.js';
import { arity, expectBool, intSequence, nonNegativeInt } from './arguments.js';
import { UnsafePickleError } from './errors.js';
import { describeValue, GlobalRef, PickleDict, PickleTuple, TorchStorage, TorchTensor, type PickleValue } from './values.js';

const STORAGE_DTYPES: Readonly<Record<string, SafetensorsDtype>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** torch dtypes pickle as bare globals (e.g. in optimizer or config state). */
const TORCH_DTYPES = ['float64', 'float32', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];

function storageOf(value: PickleValue, self: string): TorchStorage {
  if (!(value instanceof TorchStorage)) throw new UnsafePickleError(self, `storage must come from a persistent id, got ${describeValue(value)}`);
  return value;
}

function tensorOf(value: PickleValue, self: string): TorchTensor {
  if (!(value instanceof TorchTensor)) throw new UnsafePickleError(self, `data must be a tensor, got ${describeValue(value)}`);
  return value;
}

function hooks(value: PickleValue, self: string): void {
  if (!(value instanceof PickleDict)) throw new UnsafePickleError(self, `backward_hooks must be an OrderedDict, got ${describeValue(value)}`);
}

function tensor(items: readonly PickleValue[], self: string): TorchTensor {
  const shape = intSequence(items[2], self, 'size');
  const stride = intSequence(items[3], self, 'stride');
  if (stride.length !== shape.length) throw new UnsafePickleError(self, `size has ${shape.length} dimensions but stride has ${stride.length}`);
  return new TorchTensor(storageOf(items[0], self), nonNegativeInt(items[1], self, 'storage_offset'), shape, stride);
}

/** (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
function rebuildTensorV2(args: PickleTuple, self: string): PickleValue {
  const items = arity(args, self, 6, 7);
  expectBool(items[4], self, 'requires_grad');
  hooks(items[5], self);
  return tensor(items, self);
}

/** The pre-1.0 form: (storage, storage_offset, size, stride). */
function rebuildTensor(args: PickleTuple, self: string): PickleValue {
  return tensor(arity(args, self, 4), self);
}

/** (data, requires_grad, backward_hooks[, state]): a Parameter is its tensor. */
function rebuildParameter(args: PickleTuple, self: string): PickleValue {
  const items = arity(args, self, 3, 4);
  expectBool(items[1], self, 'requires_grad');
  hooks(items[2], self);
  return tensorOf(items[0], self);
}

const REBUILD_CALLS: ReadonlyMap<string, GlobalSpec> = new Map<string, GlobalSpec>([
  ['torch._utils._rebuild_tensor_v2', { kind: 'call', call: rebuildTensorV2 }],
  ['torch._utils._rebuild_tensor', { kind: 'call', call: rebuildTensor }],
  ['torch._utils._rebuild_parameter', { kind: 'call', call: rebuildParameter }],
  ['torch._utils._rebuild_parameter_with_state', { kind: 'call', call: rebuildParameter }],
]);

const TENSOR_TYPES = new Set(['torch.Tensor', 'torch.nn.parameter.Parameter']);

/** (func, new_type, args, state): how tensor subclasses pickle; only plain tensor types pass. */
function rebuildFromTypeV2(args: PickleTuple, self: string): PickleValue {
  const [func, newType, funcArgs] = arity(args, self, 4);
  if (!(func instanceof GlobalRef) || !REBUILD_CALLS.has(func.qualifiedName)) {
    throw new UnsafePickleError(self, `func must be a torch rebuild function, got ${describeValue(func)}`);
  }
  if (!(newType instanceof GlobalRef) || !TENSOR_TYPES.has(newType.qualifiedName)) {
    throw new UnsafePickleError(self, `new_type must be torch.Tensor or Parameter, got ${describeValue(newType)}`);
  }
  if (!(funcArgs instanceof PickleTuple)) throw new UnsafePickleError(self, `args must be a tuple, got ${describeValue(funcArgs)}`);
  const spec = REBUILD_CALLS.get(func.qualifiedName);
  if (spec?.kind !== 'call') throw new UnsafePickleError(self, 'unreachable: rebuild function without a call');
  return spec.call(funcArgs, func.qualifiedName);
}

/** torch.Size((2, 3)) is a tuple of dimensions. */
function size(args: PickleTuple, self: string): PickleValue {
  const [dims] = arity(args, self, 1);
  return new PickleTuple(intSequence(dims, self, 'dims'));
}

export function torchGlobals(): Map<string, GlobalSpec> {
  const out = new Map<string, GlobalSpec>(REBUILD_CALLS);
  out.set('torch._tensor._rebuild_from_type_v2', { kind: 'call', call: rebuildFromTypeV2 });
  out.set('torch.Size', { kind: 'call', call: size });
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) out.set(`torch.${name}`, { kind: 'storage', dtype });
  // An untyped storage is bytes; torch writes its typed class for tensors, this is for raw storages.
  out.set('torch.UntypedStorage', { kind: 'storage', dtype: 'U8' });
  out.set('torch.storage.UntypedStorage', { kind: 'storage', dtype: 'U8' });
  for (const name of TORCH_DTYPES) out.set(`torch.${name}`, { kind: 'reference' });
  for (const name of TENSOR_TYPES) out.set(name, { kind: 'reference' });
  return out;
}
