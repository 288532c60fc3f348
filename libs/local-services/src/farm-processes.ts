import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from './redis-server.js';

/** The repository root, from libs/local-services/dist (and from src/ alike). */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export type FarmRole = 'api' | 'worker';

export interface RoleProcess {
  readonly role: FarmRole;
  readonly child: ChildProcess;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface SpawnRoleOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Where to copy the process output, prefixed with its role; none when omitted. */
  readonly output?: NodeJS.WritableStream;
  readonly label?: string;
}

/** Starts `apps/<role>` as its own Node process, exactly as `npm run start:<role>` would. */
export function spawnRole(role: FarmRole, options: SpawnRoleOptions): RoleProcess {
  const entry = path.join(REPO_ROOT, 'apps', role, 'dist', 'main.js');
  const child = spawn(process.execPath, ['--enable-source-maps', entry], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const label = options.label ?? role;
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.on('data', (chunk: Buffer) => {
      if (!options.output) return;
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.output.write(`[${label}] ${line}\n`);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    role,
    child,
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (signal === 'SIGTERM') return stopChild(child, graceMs);
      child.kill(signal);
      await exited;
    },
  };
}

/** Polls `url` until it answers 2xx, the process dies, or the timeout passes. */
export async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`process exited before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${url} did not become ready within ${timeoutMs} ms (${last})`);
}
