import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A multipart body that cannot be accepted; `status` is 400 or 413, `field` the form field at fault. */
export class MultipartError extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'MultipartError';
  }
}

export interface SpooledFile {
  /** A temporary file holding the part's bytes; removed by `MultipartUpload.dispose`. */
  readonly path: string;
  readonly filename: string;
  readonly size: number;
}

export interface MultipartUpload {
  readonly fields: Record<string, string>;
  /** The file of `fileField`. */
  readonly file: SpooledFile | undefined;
  /** Every uploaded file by field (`fileField` and `extraFileFields`). */
  readonly files: Readonly<Record<string, SpooledFile>>;
  dispose(): Promise<void>;
}

export interface MultipartLimits {
  readonly fileField: string;
  /** Further fields that may each carry one file (a model's named graphs); each within maxFileBytes. */
  readonly extraFileFields?: readonly string[];
  readonly maxFileBytes: number;
  readonly maxFieldBytes: number;
  readonly maxFields: number;
}

const MAX_PART_HEADER_BYTES = 16 * 1024;

/** The boundary of a `multipart/form-data` content type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}

/**
 * Reads a multipart/form-data body as it arrives: text fields are kept (bounded), the one file
 * field is written straight to a temporary file, so an upload of any size costs a few chunks of
 * memory. Written with node built-ins only; the fields may come before or after the file.
 */
export async function readMultipartUpload(body: AsyncIterable<Buffer | string>, boundary: string, limits: MultipartLimits): Promise<MultipartUpload> {
  const dir = await mkdtemp(path.join(tmpdir(), 'atelier-upload-'));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const parsed = await parse(body, boundary, limits, dir);
    return { ...parsed, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

type Part = { kind: 'field'; name: string; chunks: Buffer[]; size: number } | { kind: 'file'; name: string; filename: string; handle: FileHandle; path: string; size: number } | { kind: 'skip' };

async function parse(body: AsyncIterable<Buffer | string>, boundary: string, limits: MultipartLimits, dir: string): Promise<Omit<MultipartUpload, 'dispose'>> {
  const opening = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const fields: Record<string, string> = {};
  const files: Record<string, SpooledFile> = {};
  const fileFields = [limits.fileField, ...(limits.extraFileFields ?? [])];
  let state: 'preamble' | 'after-boundary' | 'headers' | 'body' | 'done' = 'preamble';
  let pending = Buffer.alloc(0);
  let part: Part = { kind: 'skip' };
  let fieldCount = 0;

  const finishPart = async (): Promise<void> => {
    if (part.kind === 'field') fields[part.name] = Buffer.concat(part.chunks).toString('utf8');
    if (part.kind === 'file') {
      await part.handle.close();
      files[part.name] = { path: part.path, filename: part.filename, size: part.size };
    }
    part = { kind: 'skip' };
  };
  const write = async (bytes: Buffer): Promise<void> => {
    if (bytes.length === 0) return;
    if (part.kind === 'field') {
      part.size += bytes.length;
      if (part.size > limits.maxFieldBytes) throw new MultipartError(413, part.name, `form field "${part.name}" is larger than ${limits.maxFieldBytes} bytes`);
      part.chunks.push(Buffer.from(bytes));
    } else if (part.kind === 'file') {
      part.size += bytes.length;
      if (part.size > limits.maxFileBytes) throw new MultipartError(413, part.name, `the uploaded file is larger than ${limits.maxFileBytes} bytes`);
      await part.handle.write(bytes);
    }
  };
  const startPart = async (rawHeaders: string): Promise<void> => {
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(rawHeaders)?.[1];
    const name = disposition ? /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1] : undefined;
    if (name === undefined) throw new MultipartError(400, 'body', 'a multipart part has no Content-Disposition form-data name');
    const filename = /(?:^|;)\s*filename="([^"]*)"/i.exec(disposition as string)?.[1];
    if (filename !== undefined) {
      if (!fileFields.includes(name)) throw new MultipartError(400, name, `files are accepted only in the field${fileFields.length > 1 ? 's' : ''} ${fileFields.map((field) => `"${field}"`).join(', ')}`);
      if (Object.hasOwn(files, name)) throw new MultipartError(400, name, 'only one file may be uploaded');
      // The field name is one of the allowed ones, never a client-chosen path.
      const target = path.join(dir, `file-${fileFields.indexOf(name)}`);
      part = { kind: 'file', name, filename: path.basename(filename), handle: await open(target, 'wx'), path: target, size: 0 };
      return;
    }
    fieldCount += 1;
    if (fieldCount > limits.maxFields) throw new MultipartError(413, name, `more than ${limits.maxFields} form fields`);
    if (Object.hasOwn(fields, name)) throw new MultipartError(400, name, `form field "${name}" is given twice`);
    part = { kind: 'field', name, chunks: [], size: 0 };
  };

  try {
    for await (const chunk of body) {
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, Buffer.from(chunk)]);
      for (;;) {
        if (state === 'preamble') {
          const at = pending.indexOf(opening);
          if (at < 0) {
            if (pending.length > MAX_PART_HEADER_BYTES) throw new MultipartError(400, 'body', 'no multipart boundary found');
            break;
          }
          pending = pending.subarray(at + opening.length);
          state = 'after-boundary';
        } else if (state === 'after-boundary') {
          if (pending.length < 2) break;
          if (pending[0] === 0x2d && pending[1] === 0x2d) {
            state = 'done';
            break;
          }
          if (pending[0] !== 0x0d || pending[1] !== 0x0a) throw new MultipartError(400, 'body', 'malformed multipart boundary line');
          pending = pending.subarray(2);
          state = 'headers';
        } else if (state === 'headers') {
          const end = pending.indexOf('\r\n\r\n');
          if (end < 0) {
            if (pending.length > MAX_PART_HEADER_BYTES) throw new MultipartError(400, 'body', 'multipart part headers are too large');
            break;
          }
          await startPart(pending.subarray(0, end).toString('utf8'));
          pending = pending.subarray(end + 4);
          state = 'body';
        } else if (state === 'body') {
          const at = pending.indexOf(delimiter);
          if (at >= 0) {
            await write(pending.subarray(0, at));
            await finishPart();
            pending = pending.subarray(at + delimiter.length);
            state = 'after-boundary';
            continue;
          }
          // Keep what could be the start of a delimiter split across chunks.
          const safe = pending.length - (delimiter.length - 1);
          if (safe > 0) {
            await write(pending.subarray(0, safe));
            pending = Buffer.from(pending.subarray(safe));
          }
          break;
        } else {
          break;
        }
      }
      if (state === 'done') break;
    }
  } finally {
    // A part still open here means the body failed midway; its file is removed with the folder.
    const unfinished = part as Part;
    if (unfinished.kind === 'file') await unfinished.handle.close().catch(() => undefined);
  }
  if (state !== 'done') throw new MultipartError(400, 'body', 'the multipart body ended before its closing boundary');
  return { fields, file: files[limits.fileField], files };
}
