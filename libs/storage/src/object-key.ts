import { InvalidKeyError } from './storage-errors.js';

/** S3's own limit (in UTF-8 bytes); our charset is ASCII so characters equal bytes. */
export const MAX_OBJECT_KEY_LENGTH = 1024;

/*
 * Deliberately narrow: keys become file paths in LocalStorage and URL paths in presigned links,
 * so anything needing escaping, quoting or normalisation (spaces, '%', '?', '#', unicode) is out.
 */
const SEGMENT_PATTERN = /^[A-Za-z0-9._\-=+@,~]+$/;

/**
 * A valid key is one or more '/'-separated segments drawn from `[A-Za-z0-9._-=+@,~]`, with no
 * leading or trailing '/', no empty segment, no `.` segment and no `..` anywhere.
 * @throws InvalidKeyError
 */
export function assertValidObjectKey(key: string): void {
  const reason = objectKeyProblem(key);
  if (reason !== undefined) throw new InvalidKeyError(key, reason);
}

/**
 * A list prefix is a valid key, a valid key followed by '/', a partial segment (`gen/ab`), or ''.
 * @throws InvalidKeyError
 */
export function assertValidKeyPrefix(prefix: string): void {
  if (prefix === '') return;
  const withoutTrailingSlash = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const reason = objectKeyProblem(withoutTrailingSlash);
  if (reason !== undefined) throw new InvalidKeyError(prefix, reason);
}

function objectKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'must be a non-empty string';
  if (key.length > MAX_OBJECT_KEY_LENGTH) return `must be at most ${MAX_OBJECT_KEY_LENGTH} characters`;
  if (key.includes('\\')) return 'must not contain backslashes';
  if (key.startsWith('/')) return 'must not start with "/"';
  if (key.endsWith('/')) return 'must not end with "/"';
  if (key.includes('..')) return 'must not contain ".."';
  for (const segment of key.split('/')) {
    if (segment === '') return 'must not contain empty path segments ("//")';
    if (segment === '.') return 'must not contain "." path segments';
    if (!SEGMENT_PATTERN.test(segment)) return 'may only contain A-Z a-z 0-9 . _ - = + @ , ~ and "/" separators';
  }
  return undefined;
}
