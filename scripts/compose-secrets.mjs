#!/usr/bin/env node
// Generates the secrets docker-compose.yml needs into .env (which Compose reads by itself):
// the admin API key, the webhook signing secret, the API's metrics scrape token, the MinIO root
// password and the Grafana admin password. Values already in .env are kept, so running it again never rotates a secret.
//   node scripts/compose-secrets.mjs [directory holding docker-compose.yml]   (default: the repo root)
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = path.resolve(process.argv[2] ?? root);
const file = path.join(dir, '.env');

const GENERATORS = {
  ATELIER_API_KEY: () => `atl_${randomBytes(24).toString('hex')}`,
  ATELIER_WEBHOOK_SECRET: () => `whsec_${randomBytes(32).toString('base64')}`,
  ATELIER_METRICS_TOKEN: () => randomBytes(24).toString('hex'),
  // Hex only: the password is also part of MinIO's client URL (MC_HOST_local).
  MINIO_ROOT_PASSWORD: () => randomBytes(24).toString('hex'),
  GRAFANA_ADMIN_PASSWORD: () => randomBytes(18).toString('hex'),
};

const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
const present = new Set([...existing.matchAll(/^\s*([A-Z0-9_]+)\s*=\s*\S/gm)].map((match) => match[1]));
const added = Object.entries(GENERATORS)
  .filter(([name]) => !present.has(name))
  .map(([name, generate]) => `${name}=${generate()}`);
if (added.length > 0) {
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  writeFileSync(file, `${existing}${separator}${added.join('\n')}\n`, { mode: 0o600 });
}
chmodSync(file, 0o600);
console.log(added.length > 0 ? `${file}: generated ${added.map((line) => line.split('=')[0]).join(', ')}` : `${file}: secrets already present, nothing changed`);
