import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repoRoot } from './repo.js';

const INSTALL = 'Debian/Ubuntu: sudo apt-get install -y prometheus (it ships promtool); macOS: brew install prometheus; or set PROMTOOL to the binary';

let resolved: string | undefined;

/** The promtool binary. Missing, the test fails (never skips), saying how to install it. */
export function promtoolPath(): string {
  if (resolved) return resolved;
  const candidate = process.env.PROMTOOL || 'promtool';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : `exit ${probe.status}: ${probe.stderr}`;
    assert.fail(
      process.env.CI === 'true'
        ? `promtool is required in CI and could not run (${why}). .ci/run must install it: ${INSTALL}`
        : `promtool could not run (${why}). The deploy tests need it: ${INSTALL}`,
    );
  }
  resolved = candidate;
  return candidate;
}

export interface PromtoolResult {
  readonly status: number | null;
  readonly output: string;
}

/** Runs promtool from the repository root (paths in arguments are relative to it). */
export function promtool(args: readonly string[], input?: string): PromtoolResult {
  const result = spawnSync(promtoolPath(), args, { cwd: repoRoot, encoding: 'utf8', input, timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
