import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readYaml } from '../deploy/support/repo.js';
import { mapping } from '../deploy/support/shape.js';
import { ProbeTable } from '../support/probe-table.js';

const table = new ProbeTable('docker-compose.yml: shipped secrets');
const services = mapping(mapping(readYaml('docker-compose.yml'), 'docker-compose.yml').services, 'services');

/** What `docker compose up` without a .env would use: the literal, the `${VAR:-default}` default, or a refusal. */
function valueWithoutDotEnv(raw: string): string {
  if (/\$\{\w+:\?[^}]+\}/.test(raw)) return 'refused (required)';
  const withDefault = /\$\{\w+:-([^}]*)\}/.exec(raw);
  return withDefault ? `default ${withDefault[1]}` : `literal ${raw}`;
}

describe('docker-compose.yml ships no usable secret', () => {
  const secrets: Array<[string, string, string]> = [
    ['api', 'ATELIER_BOOTSTRAP_API_KEY', 'admin API key'],
    ['api', 'WEBHOOK_SECRET', 'webhook signing secret'],
    ['api', 'S3_SECRET_ACCESS_KEY', 'MinIO secret (API)'],
    ['minio', 'MINIO_ROOT_PASSWORD', 'MinIO root password'],
    ['grafana', 'GF_SECURITY_ADMIN_PASSWORD', 'Grafana admin password'],
  ];
  for (const [service, variable, what] of secrets) {
    it(`${what} (${service}.${variable}) has no default: compose refuses to start until scripts/compose-secrets.mjs ran`, () => {
      const environment = mapping(mapping(services[service], service).environment ?? {}, `${service}.environment`);
      const observed = valueWithoutDotEnv(String(environment[variable] ?? ''));
      table.record(`docker compose up without .env: ${what}`, 'refused (required)', observed);
      assert.equal(observed, 'refused (required)');
    });
  }
});
