import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_FILES_PATH, verifyLocalSignature } from '../local-signature.js';
import type { StoredObject } from '../local-storage.js';
import { assertValidObjectKey } from '../object-key.js';
import { ObjectNotFoundError } from '../storage-errors.js';

export interface RunningLocalFileServer {
  /** Pass as LocalStorage's `publicBaseUrl`. */
  readonly baseUrl: string;
  stop(): Promise<void>;
}

export interface LocalFileServerOptions {
  readonly signingSecret: string;
  /** Usually `(key) => localStorage.read(key)`; a callback so the server can start first. */
  readonly read: (key: string) => Promise<StoredObject>;
}

/**
 * The smallest stand-in for the API's `GET /files/*` route: what a LocalStorage presigned URL
 * needs in order to be fetched. 400 malformed key, 403 bad or expired signature, 404 missing.
 */
export async function startLocalFileServer(options: LocalFileServerOptions): Promise<RunningLocalFileServer> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    serve(url, options, response).catch((error: unknown) => {
      respond(response, 500, error instanceof Error ? error.message : 'internal error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function serve(url: URL, options: LocalFileServerOptions, response: ServerResponse): Promise<void> {
  if (!url.pathname.startsWith(LOCAL_FILES_PATH)) return respond(response, 404, 'not found');
  let key: string;
  try {
    key = url.pathname.slice(LOCAL_FILES_PATH.length).split('/').map(decodeURIComponent).join('/');
    assertValidObjectKey(key);
  } catch {
    return respond(response, 400, 'malformed key');
  }
  const expires = url.searchParams.get('expires') ?? '';
  const signature = url.searchParams.get('signature') ?? '';
  if (!verifyLocalSignature(key, expires, signature, options.signingSecret)) {
    return respond(response, 403, 'invalid or expired signature');
  }
  try {
    const object = await options.read(key);
    response.writeHead(200, { 'content-type': object.contentType, 'content-length': object.body.length });
    response.end(object.body);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return respond(response, 404, 'not found');
    throw error;
  }
}

function respond(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'text/plain' });
  response.end(message);
}
