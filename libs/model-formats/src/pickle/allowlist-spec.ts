import type { SafetensorsDtype } from '../safetensors-dtype.js';
import type { PickleTuple, PickleValue } from './values.js';

/**
 * What an allowlisted global may do. `call` builds a placeholder from REDUCE arguments (and must
 * refuse, with UnsafePickleError, arguments it does not expect); `storage` only tags persistent
 * ids; `reference` may be held as a value (a dict key, a dtype) but never called.
 */
export type GlobalSpec =
  | { kind: 'call'; call: (args: PickleTuple, self: string) => PickleValue }
  | { kind: 'storage'; dtype: SafetensorsDtype }
  | { kind: 'reference' };
