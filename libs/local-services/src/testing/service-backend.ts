import { request } from 'node:http';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Where test services (Redis, S3) come from: processes spawned on this machine (redis-server,
 * s3rver), or containers started through testcontainers when a Docker engine answers.
 */
export type ServiceBackend = 'spawned' | 'containers';

export const SERVICE_BACKEND_VARIABLE = 'ATELIER_TEST_SERVICES';

export class ServiceBackendError extends Error {
  constructor(
    readonly code: 'container_engine_missing' | 'unknown_service_backend',
    message: string,
  ) {
    super(message);
    this.name = 'ServiceBackendError';
  }
}

/**
 * The decision, kept pure so it is tested without Docker: a forced choice wins (forcing
 * containers without an engine fails, never quietly falls back); otherwise containers exactly
 * when an engine answers.
 */
export function chooseServiceBackend(input: { readonly requested: string | undefined; readonly engineAnswers: boolean }): ServiceBackend {
  const requested = input.requested?.trim() ?? '';
  if (requested === '') return input.engineAnswers ? 'containers' : 'spawned';
  if (requested === 'spawned') return 'spawned';
  if (requested === 'containers') {
    if (input.engineAnswers) return 'containers';
    throw new ServiceBackendError(
      'container_engine_missing',
      `${SERVICE_BACKEND_VARIABLE}=containers, but no Docker engine answered (DOCKER_HOST or /var/run/docker.sock); start one, or use ${SERVICE_BACKEND_VARIABLE}=spawned`,
    );
  }
  throw new ServiceBackendError('unknown_service_backend', `${SERVICE_BACKEND_VARIABLE}=${JSON.stringify(requested)}: expected "spawned" or "containers"`);
}

/** Engine endpoints to try, in the order the Docker CLI itself would use them. */
export function dockerEndpoints(env: NodeJS.ProcessEnv): Array<{ socketPath: string } | { host: string; port: number }> {
  const host = env.DOCKER_HOST?.trim();
  if (host) {
    if (host.startsWith('unix://')) return [{ socketPath: host.slice('unix://'.length) }];
    const tcp = /^tcp:\/\/([^:/]+):(\d+)/.exec(host);
    return tcp ? [{ host: tcp[1], port: Number(tcp[2]) }] : [];
  }
  const candidates = ['/var/run/docker.sock', path.join(homedir(), '.docker', 'run', 'docker.sock')];
  if (env.XDG_RUNTIME_DIR) candidates.push(path.join(env.XDG_RUNTIME_DIR, 'docker.sock'));
  return candidates.map((socketPath) => ({ socketPath }));
}

/** True when some endpoint answers the engine's `GET /_ping` with 200 within two seconds. */
export async function dockerEngineAnswers(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  for (const endpoint of dockerEndpoints(env)) {
    const answered = await new Promise<boolean>((resolve) => {
      const probe = request({ ...endpoint, path: '/_ping', method: 'GET', timeout: 2_000 }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      });
      probe.on('timeout', () => probe.destroy());
      probe.on('error', () => resolve(false));
      probe.end();
    });
    if (answered) return true;
  }
  return false;
}

let chosen: Promise<ServiceBackend> | undefined;

/** The backend for this test process (probed once). */
export function testServiceBackend(env: NodeJS.ProcessEnv = process.env): Promise<ServiceBackend> {
  chosen ??= (async () => {
    const requested = env[SERVICE_BACKEND_VARIABLE];
    // A forced "spawned" needs no probe (and no Docker socket timeout on machines without one).
    if (requested?.trim() === 'spawned') return 'spawned';
    return chooseServiceBackend({ requested, engineAnswers: await dockerEngineAnswers(env) });
  })();
  return chosen;
}
