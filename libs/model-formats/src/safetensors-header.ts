// Validation of a safetensors header against the data section it describes. Everything here runs
// before a single tensor byte is looked at, so a hostile header cannot make a reader index outside
// the file, alias two tensors onto the same bytes or hide data in gaps.
import { z } from 'zod';
import { dtypeByteSize, elementCount, SAFETENSORS_DTYPES, type SafetensorsDtype } from './safetensors-dtype.js';
import { SafetensorsError } from './safetensors-error.js';
import type { JsonValue } from './strict-json.js';

export interface TensorLayout {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface HeaderLayout {
  tensors: TensorLayout[];
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';

const index = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be an integer' })
  .nonnegative({ error: 'must not be negative' });

const entrySchema = z.strictObject(
  {
    dtype: z.enum(SAFETENSORS_DTYPES, {
      error: (issue) => `unknown dtype ${JSON.stringify(issue.input)} (expected one of ${SAFETENSORS_DTYPES.join(', ')})`,
    }),
    shape: z.array(index, { error: 'must be an array of integers' }),
    data_offsets: z.tuple([index, index], { error: 'must be [begin, end]' }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unexpected field(s) ${issue.keys.join(', ')}` : 'must be an object') },
);

export function validateHeader(header: JsonValue, dataLength: number): HeaderLayout {
  if (!(header instanceof Map)) throw new SafetensorsError('header must be a JSON object');
  const tensors: TensorLayout[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of header) {
    if (name === METADATA_KEY) metadata = validateMetadata(value);
    else tensors.push(validateEntry(name, value, dataLength));
  }
  checkCoverage(tensors, dataLength);
  return { tensors, metadata };
}

function validateMetadata(value: JsonValue): Record<string, string> {
  if (!(value instanceof Map)) throw new SafetensorsError(`${METADATA_KEY} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [key, entry] of value) {
    if (typeof entry !== 'string') {
      throw new SafetensorsError(`${METADATA_KEY}: value of ${JSON.stringify(key)} must be a string, got ${describe(entry)}`);
    }
    Object.defineProperty(out, key, { value: entry, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function validateEntry(name: string, value: JsonValue, dataLength: number): TensorLayout {
  const parsed = entrySchema.safeParse(value instanceof Map ? Object.fromEntries(value) : value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new SafetensorsError(`${where}${issue.message}`, name);
  }
  const { dtype, shape, data_offsets: [begin, end] } = parsed.data;
  if (begin > end) throw new SafetensorsError(`data_offsets [${begin}, ${end}]: begin is after end`, name);
  if (end > dataLength) {
    throw new SafetensorsError(`data_offsets [${begin}, ${end}] run past the data section (${dataLength} bytes)`, name);
  }
  let expected: number;
  try {
    expected = elementCount(shape) * dtypeByteSize(dtype);
  } catch (error) {
    throw new SafetensorsError((error as Error).message, name);
  }
  if (end - begin !== expected) {
    throw new SafetensorsError(
      `${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${expected}`,
      name,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** The tensors, sorted by offset, must tile the data section exactly. */
function checkCoverage(tensors: readonly TensorLayout[], dataLength: number): void {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: TensorLayout | undefined;
  for (const tensor of sorted) {
    if (tensor.begin < cursor) {
      throw new SafetensorsError(
        `data_offsets [${tensor.begin}, ${tensor.end}] overlap tensor "${previous?.name}" (which ends at ${cursor})`,
        tensor.name,
      );
    }
    if (tensor.begin > cursor) {
      throw new SafetensorsError(`data_offsets [${tensor.begin}, ${tensor.end}] leave a gap: bytes ${cursor}..${tensor.begin} belong to no tensor`, tensor.name);
    }
    cursor = tensor.end;
    previous = tensor;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(`data section is ${dataLength} bytes but the tensors cover only ${cursor}: trailing bytes belong to no tensor`);
  }
}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'an object';
  return `a ${typeof value}`;
}

export function isMetadataKey(name: string): boolean {
  return name === METADATA_KEY;
}
