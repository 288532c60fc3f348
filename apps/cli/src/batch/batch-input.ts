import { createHash } from 'node:crypto';
import type { GenerationRequestInput } from '@atelier/client';
import type { GenerationFields } from '../generation-flags.js';

export type InputLine =
  | { readonly line: number; readonly ok: true; readonly request: GenerationRequestInput; readonly hash: string }
  | { readonly line: number; readonly ok: false; readonly error: string; readonly hash: string };

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, item]) => [key, canonical(item)]));
  }
  return value;
}

/** Identifies what a line asks for, so a resumed run notices a line that was edited meanwhile. */
export function requestHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex').slice(0, 32);
}

/**
 * One request per non-blank line (1-based file line numbers): a JSON object is a request, a
 * JSON string or plain text is a prompt. `defaults` go under each line's own fields.
 */
export function parseBatchInput(text: string, defaults: GenerationFields = {}): InputLine[] {
  const result: InputLine[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    let value: unknown = trimmed;
    if (/^[[{"]/.test(trimmed)) {
      try {
        value = JSON.parse(trimmed);
      } catch (error) {
        result.push({ line, ok: false, error: `not valid JSON: ${(error as Error).message}`, hash: requestHash(trimmed) });
        continue;
      }
    }
    if (typeof value === 'string') value = { prompt: value };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      result.push({ line, ok: false, error: 'expected a JSON object (a request) or a prompt', hash: requestHash(trimmed) });
      continue;
    }
    // The server validates every field and names the line's offending one; the client does not second-guess its limits.
    const request = { ...defaults, ...value } as GenerationRequestInput;
    result.push({ line, ok: true, request, hash: requestHash(request) });
  }
  return result;
}
