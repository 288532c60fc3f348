import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

export interface RawResponse {
  /** HTTP status, or 0 when the server closed the connection without answering. */
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export class NoAnswerError extends Error {
  override readonly name = 'NoAnswerError';
  constructor(readonly what: string, readonly timeoutMs: number) {
    super(`${what}: no response within ${timeoutMs} ms`);
  }
}

export interface RawRequest {
  readonly method: string;
  /** Sent as is (no URL normalisation or encoding), so malformed paths reach the server. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly timeoutMs: number;
}

/**
 * One request with node:http, bypassing fetch's URL parsing; resolves with the status and at
 * most 64 KiB of body as soon as the headers are in for streams (SSE never ends by design).
 */
export function rawRequest(baseUrl: string, input: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise<RawResponse>((resolve, reject) => {
    // Throws at once for what node:http refuses to send (characters outside latin-1 in the path).
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: input.method, path: input.path, headers: { ...(input.headers ?? {}), connection: 'close' }, insecureHTTPParser: false },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = (): void => {
          clearTimeout(timer);
          response.destroy();
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
        };
        if (String(response.headers['content-type'] ?? '').startsWith('text/event-stream')) return finish();
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 64 * 1024) chunks.push(chunk);
        });
        response.on('end', finish);
        response.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy();
      reject(new NoAnswerError(`${input.method} ${input.path.slice(0, 120)}`, input.timeoutMs));
    }, input.timeoutMs);
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.end(input.body);
  });
}

/**
 * Bytes straight onto a socket (a NUL in the request line, a broken header), for what node:http
 * refuses to send. Resolves with the status line's code, or 0 if the server closed without one.
 */
export function rawBytes(baseUrl: string, bytes: Buffer, timeoutMs: number): Promise<number> {
  const url = new URL(baseUrl);
  return new Promise<number>((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new NoAnswerError(`raw ${JSON.stringify(bytes.subarray(0, 60).toString('latin1'))}`, timeoutMs));
    }, timeoutMs);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      resolve(match ? Number(match[1]) : 0);
    });
  });
}
