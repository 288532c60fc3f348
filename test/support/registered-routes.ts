import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export interface RegisteredRoute {
  readonly method: string;
  /** Express path pattern, e.g. `/v1/generations/:id`. */
  readonly path: string;
}

/**
 * Mounted by apps/api/src/main.ts outside Nest's controllers (so not in the stack read below):
 * Swagger UI and its document, and the signed local files (local storage driver).
 */
export const NON_CONTROLLER_ROUTES: readonly RegisteredRoute[] = [
  { method: 'GET', path: '/docs' },
  { method: 'GET', path: '/docs/openapi.json' },
  { method: 'GET', path: '/files/:key' },
  { method: 'PUT', path: '/files/:key' },
];

/**
 * Every route the API's controllers register, read from the Express router stack of an API built
 * from the real AppModule and configuration (the running farm's environment), so a controller
 * added later is walked without anyone listing it. Built in a child process (print-routes.ts),
 * which exits when done: an in-process app would leave connections behind in the test process.
 */
export async function registeredRoutes(env: NodeJS.ProcessEnv): Promise<RegisteredRoute[]> {
  const script = fileURLToPath(new URL('./print-routes.js', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script], { env: { ...env, WEBHOOK_DISPATCHER: 'false', LOG_LEVEL: 'silent' }, timeout: 60_000, maxBuffer: 1024 * 1024 });
  const routes = JSON.parse(stdout) as RegisteredRoute[];
  return [...routes, ...NON_CONTROLLER_ROUTES];
}

/** A concrete path for a route pattern: every `:param` (and `*splat`) replaced by `value`. */
export function fillRoute(path: string, value = 'x'): string {
  return path.replace(/[:*][A-Za-z0-9_]+/g, value);
}
