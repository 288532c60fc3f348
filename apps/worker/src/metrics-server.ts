import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { controlAccess } from './control-access.js';

/** `/metrics`, `/healthz` and `POST /drain`, `/undrain` for a worker, which has no HTTP API of its own. */
export interface DrainControl {
  drain(): Promise<void>;
  undrain(): Promise<void>;
  /** WORKER_CONTROL_TOKEN; without it only loopback callers may drain (see control-access.ts). */
  readonly token: string | undefined;
}

export async function startMetricsServer(registry: Registry, port: number, host: string, isHealthy: () => boolean, control: DrainControl): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method === 'POST' && (request.url === '/drain' || request.url === '/undrain')) {
      // For Kubernetes preStop hooks: stop taking jobs before SIGTERM arrives.
      const access = controlAccess(request, control.token);
      if (!access.allowed) {
        response.writeHead(access.status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'unauthorized', message: access.message } }));
        return;
      }
      const action = request.url === '/drain' ? control.drain() : control.undrain();
      action.then(
        () => response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ draining: request.url === '/drain' })),
        (error: Error) => response.writeHead(500).end(error.message),
      );
      return;
    }
    if (request.url === '/metrics') {
      registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { 'Content-Type': registry.contentType });
          response.end(text);
        })
        .catch((error: Error) => {
          response.writeHead(500).end(error.message);
        });
      return;
    }
    if (request.url === '/healthz') {
      const healthy = isHealthy();
      response.writeHead(healthy ? 200 : 503, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ status: healthy ? 'ok' : 'unhealthy' }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
