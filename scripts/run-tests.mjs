#!/usr/bin/env node
// `npm test`: builds, checks the services the suites need, then runs every compiled *.test.js
// with Node's test runner. With CI=true a missing service is a failure, never a skip.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ensure = spawnSync(process.execPath, [path.join(root, 'scripts', 'ensure-ready.mjs')], { cwd: root, stdio: 'inherit' });
if (ensure.status !== 0) process.exit(ensure.status ?? 1);

const hasRedis = spawnSync('sh', ['-c', 'command -v redis-server || ls /usr/sbin/redis-server /usr/bin/redis-server'], { stdio: 'ignore' }).status === 0;
if (!hasRedis) {
  console.error('redis-server is required by the end-to-end tests and was not found.\n  Debian/Ubuntu: sudo apt-get install -y redis-server\n  macOS: brew install redis');
  process.exit(2);
}

function collect(dir, into) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) collect(full, into);
    else if (entry.name.endsWith('.test.js')) into.push(full);
  }
  return into;
}

/** Compiled tests: each package's dist/ (libs/<x>/dist, apps/<x>/dist) and the root dist/ (test/, bench/). */
const outDirs = [path.join(root, 'dist')];
for (const folder of ['libs', 'apps']) {
  for (const name of readdirSync(path.join(root, folder))) outDirs.push(path.join(root, folder, name, 'dist'));
}
const compiled = outDirs.filter((dir) => existsSync(dir)).flatMap((dir) => collect(dir, []));

/** The source a compiled test came from (libs/x/dist/a.test.js → libs/x/src/a.test.ts), so filters name either. */
function sourceOf(file) {
  const relative = path.relative(root, file).split(path.sep).join('/');
  const source = relative.startsWith('dist/') ? relative.slice('dist/'.length) : relative.replace(/^((?:libs|apps)\/[^/]+)\/dist\//, '$1/src/');
  return source.replace(/\.js$/, '.ts');
}

const filter = process.argv.slice(2);
const files = compiled
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part) || sourceOf(file).includes(part)))
  .sort((a, b) => sourceOf(a).localeCompare(sourceOf(b)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--enable-source-maps'].filter(Boolean).join(' ') },
});
process.exit(result.status ?? 1);
