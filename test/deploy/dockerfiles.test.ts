import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { instructions, numericUser, readDockerfile, type Stage } from './support/dockerfile.js';
import { readRepoFile, repoPath, repoRoot } from './support/repo.js';

const API = 'deploy/docker/api.Dockerfile';
const WORKER = 'deploy/docker/worker.Dockerfile';
const CUDA_PROVIDER = 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so';

function finalStage(file: string): Stage {
  const stage = readDockerfile(file).at(-1);
  assert.ok(stage, `${file} has no FROM`);
  return stage;
}

function buildStage(file: string): Stage {
  const stages = readDockerfile(file);
  assert.ok(stages.length >= 2, `${file}: multi-stage build expected`);
  return stages[0];
}

function env(stage: Stage): Record<string, string> {
  const values: Record<string, string> = {};
  for (const args of instructions(stage, 'ENV')) {
    for (const match of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) values[match[1]] = match[2].replace(/^"|"$/g, '');
  }
  return values;
}

/** Sources of `COPY <src>… <dest>` from the build context (not --from copies). */
function contextCopies(file: string): string[] {
  return readDockerfile(file).flatMap((stage) =>
    instructions(stage, 'COPY')
      .filter((args) => !args.includes('--from='))
      .flatMap((args) => args.split(/\s+/).filter((word) => !word.startsWith('--')).slice(0, -1)),
  );
}

/** onnxruntime-node's own flag parser, run once per environment (one child process for all). */
function ortInstallFlags(environments: readonly Record<string, string>[]): unknown[] {
  const script = `
    const { parseInstallFlag } = require('./node_modules/onnxruntime-node/script/install-utils.js');
    const results = [];
    for (const environment of JSON.parse(process.argv[1])) {
      for (const key of Object.keys(process.env)) if (/onnxruntime/i.test(key)) delete process.env[key];
      Object.assign(process.env, environment);
      results.push(parseInstallFlag() ?? null);
    }
    process.stdout.write(JSON.stringify(results));`;
  const result = spawnSync(process.execPath, ['-e', script, JSON.stringify(environments)], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as unknown[];
}

describe('Dockerfiles', () => {
  it('API: slim Node image, non-root numeric user, production build only, health check', () => {
    const final = finalStage(API);
    assert.match(final.from, /^node:20[\w.-]*-slim$/, 'final stage on a slim Node 20 image');
    const user = numericUser(final);
    assert.ok(user !== undefined && user > 0, 'USER must be a numeric non-root uid (Kubernetes runAsNonRoot)');
    assert.deepEqual(instructions(final, 'CMD'), ['["node", "apps/api/dist/main.js"]']);
    assert.deepEqual(instructions(final, 'EXPOSE'), ['8080']);
    assert.equal(env(final).NODE_ENV, 'production');
    assert.equal(env(final).DATA_DIR, '/data');
    assert.match(instructions(final, 'HEALTHCHECK').join(' '), /\/healthz/);
    assert.equal(instructions(final, 'RUN').filter((run) => /apt-get|npm (ci|install)/.test(run)).length, 0, 'no package installs in the runtime stage');
    const build = buildStage(API);
    assert.equal(env(build).ONNXRUNTIME_NODE_INSTALL, 'skip', 'the API image needs no CUDA libraries');
    assert.match(instructions(build, 'RUN').join('\n'), /npm prune --omit=dev/);
    assert.match(instructions(build, 'RUN').join('\n'), /tsc -b apps\/api\/tsconfig\.json/, 'only the production projects the API references are compiled (no tests, no testing helpers)');
  });

  it('worker: CUDA runtime image, onnxruntime-node CUDA build checked at build time, non-root numeric user', () => {
    const final = finalStage(WORKER);
    assert.match(final.from, /^nvidia\/cuda:12\.[\d.]+-(cudnn-)?runtime-/, 'final stage on the CUDA 12 runtime image');
    const user = numericUser(final);
    assert.ok(user !== undefined && user > 0, 'USER must be a numeric non-root uid (Kubernetes runAsNonRoot)');
    assert.deepEqual(instructions(final, 'CMD'), ['["node", "apps/worker/dist/main.js"]']);
    assert.deepEqual(instructions(final, 'EXPOSE'), ['9464']);
    assert.equal(env(final).EXECUTION_PROVIDER, 'cuda');
    assert.match(instructions(final, 'HEALTHCHECK').join(' '), /METRICS_PORT.*\/healthz/);
    const build = buildStage(WORKER);
    assert.equal(env(build).ONNXRUNTIME_NODE_INSTALL, 'cuda12');
    const runs = instructions(build, 'RUN').join('\n');
    assert.match(runs, /npm ci [^\n]*--onnxruntime-node-install=cuda12/);
    assert.match(runs, /tsc -b apps\/worker\/tsconfig\.json/, 'only the production projects the worker references are compiled (no tests, no testing helpers)');
    assert.ok(runs.includes(`test -f ${CUDA_PROVIDER}`), 'the build fails when the CUDA provider did not download');
    assert.ok(!contextCopies(WORKER).includes('.npmrc'), "the repository's .npmrc skips the CUDA download");
  });

  it("onnxruntime-node's installer downloads the CUDA provider with the worker's settings and skips it with the API's", () => {
    const metadata = readRepoFile('node_modules/onnxruntime-node/script/install-metadata.js');
    assert.match(metadata, /'linux\/x64': \['cuda12'\]/, 'linux/x64 installs the cuda12 manifest unless told to skip');
    assert.ok(metadata.includes("'./libonnxruntime_providers_cuda.so'"), 'the cuda12 manifest ships libonnxruntime_providers_cuda.so');
    // Worker: ONNXRUNTIME_NODE_INSTALL=cuda12 beats a `skip` from any .npmrc (npm_config_…); in
    // 1.30 the parser maps "cuda12" to "unspecified" (undefined → null here), which installs the
    // platform's manifest (cuda12 on linux/x64) when its files are missing. Anything but false.
    const [worker, workerFlagOnly, api] = ortInstallFlags([
      { ONNXRUNTIME_NODE_INSTALL: 'cuda12', npm_config_onnxruntime_node_install: 'skip' },
      { npm_config_onnxruntime_node_install: 'cuda12' },
      { ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_onnxruntime_node_install: 'cuda12' },
    ]);
    assert.notEqual(worker, false);
    assert.notEqual(workerFlagOnly, false);
    // API: skip, whatever npm passes.
    assert.equal(api, false);
  });

  for (const file of [API, WORKER]) {
    it(`${file}: its own .dockerignore keeps the context to what it copies`, () => {
      const ignore = readRepoFile(`${file}.dockerignore`)
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'));
      assert.equal(ignore[0], '**', 'ignore everything, then allow what the Dockerfile copies');
      for (const source of contextCopies(file)) {
        assert.ok(ignore.includes(`!${source}`) || ignore.includes(`!${source}/**`), `${source} is copied but excluded by the .dockerignore`);
        assert.ok(existsSync(repoPath(source)), `${source} is copied but does not exist`);
      }
      assert.ok(ignore.includes('**/node_modules'), 'node_modules never enters the context');
    });
  }
});
