import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePort } from './free-port.js';
import { which } from './which.js';

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Stops the server (SIGTERM: AOF flushed) without deleting its data; `start` brings it back on the same port. */
  halt(): Promise<void>;
  start(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** AOF persistence with fsync every second, as production should run. */
  readonly appendonly?: boolean;
}

export class RedisServerMissingError extends Error {
  constructor() {
    super(
      [
        'redis-server was not found on PATH, and no usable Docker engine was found.',
        'Install Redis, then run the command again:',
        '  Debian/Ubuntu: sudo apt-get install -y redis-server',
        '  Fedora/RHEL:   sudo dnf install -y redis',
        '  macOS:         brew install redis',
        'or point REDIS_URL at a Redis you already run (e.g. REDIS_URL=redis://localhost:6379).',
      ].join('\n'),
    );
    this.name = 'RedisServerMissingError';
  }
}

/**
 * Starts a throw-away redis-server on a free loopback port with persistence off, for local runs
 * and tests. Falls back to Docker when the binary is missing and a Docker engine answers.
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const binary = await which('redis-server');
  if (binary) return startRedisBinary(binary, options);
  if (await dockerEngineAvailable()) return startRedisContainer();
  throw new RedisServerMissingError();
}

async function startRedisBinary(binary: string, options: PrivateRedisOptions): Promise<PrivateRedis> {
  const port = await findFreePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'atelier-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--maxmemory-policy', 'noeviction'];
  args.push(...(options.appendonly ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no']));
  const launch = async (): Promise<ChildProcess> => {
    const started = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(started, /Ready to accept connections/, 10_000);
    return started;
  };
  let child: ChildProcess | undefined = await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    halt: async () => {
      if (child) await stopChild(child);
      child = undefined;
    },
    start: async () => {
      if (!child) child = await launch();
    },
    stop: async () => {
      if (child) await stopChild(child);
      child = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startRedisContainer(): Promise<PrivateRedis> {
  const port = await findFreePort();
  const name = `atelier-redis-${process.pid}-${port}`;
  const child = spawn('docker', ['run', '--rm', '--name', name, '-p', `127.0.0.1:${port}:6379`, 'redis:7-alpine'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForOutput(child, /Ready to accept connections/, 120_000);
  const stop = async (): Promise<void> => {
    spawn('docker', ['stop', name], { stdio: 'ignore' });
    await stopChild(child);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    halt: stop,
    start: async () => {
      throw new Error('restarting a Docker-backed private Redis is not supported; install redis-server');
    },
  };
}

async function dockerEngineAvailable(): Promise<boolean> {
  if (!(await which('docker'))) return false;
  return new Promise((resolve) => {
    const probe = spawn('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore' });
    const timer = setTimeout(() => {
      probe.kill('SIGKILL');
      resolve(false);
    }, 5_000);
    probe.on('error', () => resolve(false));
    probe.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** Resolves once `child` prints `pattern` (stdout or stderr); rejects, with its last output, on exit or timeout. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis did not start within ${timeoutMs} ms:\n${seen.slice(-2000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis exited with code ${code} before it was ready:\n${seen.slice(-2000)}`));
    });
  });
}

export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
