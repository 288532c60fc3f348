import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisServerMissingError, stopChild, waitForOutput } from '../redis-server.js';
import { which } from '../which.js';

const run = promisify(execFile);

/** One redis-server (data node or sentinel) this test support started and may kill. */
export interface RedisProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGKILL: no shutdown, no AOF flush; what a crashed host looks like to its peers. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function redisBinary(name: 'redis-server' | 'redis-cli'): Promise<string> {
  const binary = await which(name);
  if (!binary) throw new RedisServerMissingError();
  return binary;
}

/** Starts `redis-server <args>` and resolves once it logs that it accepts connections. */
export async function spawnRedisProcess(port: number, args: readonly string[], ready: RegExp = /Ready to accept connections|Sentinel ID is/): Promise<RedisProcess> {
  const child = spawn(await redisBinary('redis-server'), [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForOutput(child, ready, 15_000);
  // Keep draining output so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    child,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    stop: () => stopChild(child, 3_000),
  };
}

/** `redis-cli -p <port> <args>` (plain TCP), its stdout trimmed. */
export async function redisCli(port: number, args: readonly string[], extra: readonly string[] = []): Promise<string> {
  const { stdout } = await run(await redisBinary('redis-cli'), ['-h', '127.0.0.1', '-p', String(port), ...extra, ...args], { timeout: 30_000 });
  return stdout.trim();
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
