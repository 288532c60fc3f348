import { ZipError } from './zip-error.js';

/**
 * Entry names are only ever looked up, never written to disk, but a name that would escape an
 * extraction folder marks a crafted archive, so the whole archive is refused.
 */
export function checkEntryName(name: string): void {
  if (name.length === 0) throw new ZipError('empty entry name');
  if (name.includes('\0')) throw new ZipError('name contains a NUL byte', name);
  if (name.includes('\\')) throw new ZipError('name contains a backslash', name);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new ZipError('name is an absolute path', name);
  const segments = name.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === '..') throw new ZipError('name escapes the archive with ".."', name);
    if (segment === '.') throw new ZipError('name contains a "." segment', name);
    // A trailing slash marks a directory entry; an empty segment anywhere else is suspicious.
    if (segment === '' && i !== segments.length - 1) throw new ZipError('name contains an empty segment', name);
  }
}
