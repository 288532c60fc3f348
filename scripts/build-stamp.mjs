#!/usr/bin/env node
// Written after a successful `npm run build`: scripts/ensure-ready.mjs rebuilds when a source is newer.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'dist');
mkdirSync(dist, { recursive: true });
writeFileSync(path.join(dist, '.build-stamp'), String(Date.now()));
