// Checks for the arguments an allowlisted call receives. A mismatch means the pickle uses an
// allowlisted name in a way torch never does, which is treated as hostile, not as malformed.
import { UnsafePickleError } from './errors.js';
import { describeValue, PickleTuple, type PickleValue } from './values.js';

export function arity(args: PickleTuple, self: string, min: number, max = min): readonly PickleValue[] {
  const count = args.items.length;
  if (count < min || count > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw new UnsafePickleError(self, `expects ${expected} argument(s), got ${count}`);
  }
  return args.items;
}

export function nonNegativeInt(value: PickleValue, self: string, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new UnsafePickleError(self, `${what} must be a non-negative integer, got ${describeValue(value)}`);
  }
  return value;
}

export function intSequence(value: PickleValue, self: string, what: string, allowNegative = false): number[] {
  const items = value instanceof PickleTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (items === undefined) throw new UnsafePickleError(self, `${what} must be a tuple of integers, got ${describeValue(value)}`);
  return items.map((item, index) => {
    if (typeof item !== 'number' || !Number.isSafeInteger(item) || (!allowNegative && item < 0)) {
      throw new UnsafePickleError(self, `${what}[${index}] must be ${allowNegative ? 'an' : 'a non-negative'} integer, got ${describeValue(item)}`);
    }
    return item;
  });
}

export function expectBool(value: PickleValue, self: string, what: string): boolean {
  if (typeof value !== 'boolean') throw new UnsafePickleError(self, `${what} must be a bool, got ${describeValue(value)}`);
  return value;
}

export function expectString(value: PickleValue, self: string, what: string): string {
  if (typeof value !== 'string') throw new UnsafePickleError(self, `${what} must be a str, got ${describeValue(value)}`);
  return value;
}
