// Narrowing helpers for parsed YAML/JSON: each failure names where in the document it happened.
import assert from 'node:assert/strict';

export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mapping(value: unknown, where: string): Mapping {
  assert.ok(isMapping(value), `${where}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function list(value: unknown, where: string): unknown[] {
  assert.ok(Array.isArray(value), `${where}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

export function text(value: unknown, where: string): string {
  assert.equal(typeof value, 'string', `${where}: expected a string, got ${JSON.stringify(value)}`);
  return value as string;
}

export function integer(value: unknown, where: string): number {
  assert.ok(typeof value === 'number' && Number.isInteger(value), `${where}: expected an integer, got ${JSON.stringify(value)}`);
  return value;
}

/** Follows a dotted path (`spec.template.spec`); undefined when any step is missing. */
export function dig(value: unknown, dottedPath: string): unknown {
  let current: unknown = value;
  for (const key of dottedPath.split('.')) {
    if (!isMapping(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Every `key: value` of `labels` is also in `superset`. */
export function labelsMatch(selector: Mapping, superset: Mapping): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => superset[key] === value);
}
