#!/usr/bin/env node
// Makes a fresh clone runnable: installs dependencies when missing and compiles when the build
// is missing or older than the sources. Says exactly what is missing when it cannot fix it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Atelier needs Node.js 20.19 or newer (found ${process.version}). Install it from https://nodejs.org or with your version manager.`);
  process.exit(2);
}

// The workspace links (node_modules/@atelier/*) come with the install: a node_modules from before
// the packages existed lacks them.
if (!existsSync(path.join(root, 'node_modules', '.package-lock.json')) || !existsSync(path.join(root, 'node_modules', '@atelier', 'contracts'))) {
  console.log('Installing dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts') || entry.name === 'package.json' || /^tsconfig.*\.json$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

// Written by `npm run build` (scripts/build-stamp.mjs) once every project has compiled.
const stamp = path.join(root, 'dist', '.build-stamp');
const sources = Math.max(...['apps', 'libs', 'test', 'bench'].filter((dir) => existsSync(path.join(root, dir))).map((dir) => newestSource(path.join(root, dir))));
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sources) {
  console.log('Compiling TypeScript…');
  run('npm', ['run', '--silent', 'build']);
}
