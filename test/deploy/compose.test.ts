import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { environmentSchema } from '@atelier/config';
import { instructions, numericUser, readDockerfile } from './support/dockerfile.js';
import { readYaml, repoPath } from './support/repo.js';
import { dig, isMapping, list, mapping, text, type Mapping } from './support/shape.js';

const compose = mapping(readYaml('docker-compose.yml'), 'docker-compose.yml');
const services = mapping(compose.services, 'services');

function service(name: string): Mapping {
  return mapping(services[name], `services.${name}`);
}

/** The .env `node scripts/compose-secrets.mjs` writes, generated once into a scratch directory. */
const secretsDir = mkdtempSync(path.join(tmpdir(), 'compose-secrets-'));
const runSecretsScript = (): string => execFileSync(process.execPath, [repoPath('scripts/compose-secrets.mjs'), secretsDir], { encoding: 'utf8' });
const readDotEnv = (): Record<string, string> =>
  Object.fromEntries(readFileSync(path.join(secretsDir, '.env'), 'utf8').split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
runSecretsScript();
const generated = readDotEnv();

/**
 * Compose interpolation: `${VAR:-default}` takes its default; `${VAR:?message}` (a secret, which
 * Compose refuses to start without) takes the value the secrets script generated.
 */
function interpolate(value: string, where: string): string {
  return value.replace(/\$\{(\w+)(?:(:?-|:\?)([^}]*))?\}/g, (_match, name: string, operator: string | undefined, fallback: string | undefined) => {
    if (operator === ':?') {
      assert.ok(generated[name], `${where}: \${${name}} is required but scripts/compose-secrets.mjs does not generate it`);
      return generated[name];
    }
    assert.ok(fallback !== undefined, `${where}: \${${name}} needs a default (\${${name}:-…}) or, for a secret, \${${name}:?run node scripts/compose-secrets.mjs first}`);
    return fallback;
  });
}

function environment(name: string): Record<string, string> {
  const raw = mapping(service(name).environment ?? {}, `services.${name}.environment`);
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, interpolate(String(value), `services.${name}.environment.${key}`)]));
}

/** Compose durations: 330s, 5m30s, 1h. */
function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)];
  assert.ok(parts.length > 0 && parts.map((part) => part[0]).join('') === duration, `not a duration: ${duration}`);
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 };
  return parts.reduce((total, part) => total + Number(part[1]) * unit[part[2]], 0);
}

function bindMounts(name: string): { source: string; target: string; mode: string | undefined }[] {
  return list(service(name).volumes ?? [], `services.${name}.volumes`)
    .map((volume) => text(volume, `services.${name}.volumes[]`).split(':'))
    .filter(([source]) => source.startsWith('.') || source.startsWith('/'))
    .map(([source, target, mode]) => ({ source, target, mode }));
}

describe('docker-compose.yml', () => {
  after(() => rmSync(secretsDir, { recursive: true, force: true }));

  it('ships no fixed secret: each one is required from .env, which Compose refuses to start without', () => {
    const raw = readFileSync(repoPath('docker-compose.yml'), 'utf8');
    assert.doesNotMatch(raw, /whsec_[A-Za-z0-9+/=]/, 'no literal webhook secret');
    assert.doesNotMatch(raw, /atelier-secret|change-me|GRAFANA_ADMIN_PASSWORD:-/, 'no default password or key');
    const secrets: Array<[string, string]> = [
      ['api', 'ATELIER_BOOTSTRAP_API_KEY'],
      ['api', 'WEBHOOK_SECRET'],
      ['api', 'METRICS_TOKEN'],
      ['api', 'S3_SECRET_ACCESS_KEY'],
      ['worker', 'S3_SECRET_ACCESS_KEY'],
      ['minio', 'MINIO_ROOT_PASSWORD'],
      ['minio-bucket', 'MC_HOST_local'],
      ['grafana', 'GF_SECURITY_ADMIN_PASSWORD'],
    ];
    for (const [name, variable] of secrets) {
      const value = String(mapping(service(name).environment ?? {}, `services.${name}.environment`)[variable] ?? '');
      assert.match(value, /\$\{\w+:\?run node scripts\/compose-secrets\.mjs first\}/, `services.${name}.environment.${variable} must be \${…:?run node scripts/compose-secrets.mjs first}, not ${value}`);
    }
    assert.doesNotMatch(JSON.stringify(service('minio-bucket').entrypoint ?? ''), /\$\{|atelier-secret/, 'the bucket job takes its credentials from MC_HOST_local, not its command line');
    // Prometheus presents the API's METRICS_TOKEN from a Compose secret fed by the same .env value.
    assert.deepEqual(service('prometheus').secrets, ['metrics_token']);
    const composeSecrets = mapping(mapping(readYaml('docker-compose.yml'), 'docker-compose.yml').secrets, 'secrets');
    assert.deepEqual(composeSecrets.metrics_token, { environment: 'ATELIER_METRICS_TOKEN' });
  });

  it('scripts/compose-secrets.mjs writes random secrets the application accepts, private to the owner, and never rotates them', () => {
    assert.deepEqual(Object.keys(generated).sort(), ['ATELIER_API_KEY', 'ATELIER_METRICS_TOKEN', 'ATELIER_WEBHOOK_SECRET', 'GRAFANA_ADMIN_PASSWORD', 'MINIO_ROOT_PASSWORD']);
    assert.equal(statSync(path.join(secretsDir, '.env')).mode & 0o777, 0o600);
    const parsed = environmentSchema.safeParse({ ATELIER_BOOTSTRAP_API_KEY: generated.ATELIER_API_KEY, WEBHOOK_SECRET: generated.ATELIER_WEBHOOK_SECRET, METRICS_TOKEN: generated.ATELIER_METRICS_TOKEN });
    assert.ok(parsed.success, parsed.success ? '' : z.prettifyError(parsed.error));
    assert.ok(generated.MINIO_ROOT_PASSWORD.length >= 32 && generated.GRAFANA_ADMIN_PASSWORD.length >= 24);
    assert.match(runSecretsScript(), /nothing changed/);
    assert.deepEqual(readDotEnv(), generated, 'a second run keeps every secret');
    const other = mkdtempSync(path.join(tmpdir(), 'compose-secrets-other-'));
    try {
      execFileSync(process.execPath, [repoPath('scripts/compose-secrets.mjs'), other], { encoding: 'utf8' });
      const fresh = Object.fromEntries(readFileSync(path.join(other, '.env'), 'utf8').trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
      for (const name of Object.keys(generated)) assert.notEqual(fresh[name], generated[name], `${name} is drawn at random`);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
  it('runs the whole farm plus Prometheus and Grafana', () => {
    for (const name of ['redis', 'minio', 'minio-bucket', 'api', 'worker', 'worker-cpu', 'prometheus', 'grafana']) assert.ok(isMapping(services[name]), `service ${name}`);
  });

  it('runs Redis with AOF persistence and no eviction', () => {
    const command = list(service('redis').command, 'redis command').map(String);
    const flag = (name: string): string | undefined => command[command.indexOf(name) + 1];
    assert.ok(command.includes('--appendonly'), 'redis: --appendonly');
    assert.equal(flag('--appendonly'), 'yes');
    assert.equal(flag('--maxmemory-policy'), 'noeviction');
    assert.ok(list(service('redis').volumes, 'redis volumes').some((volume) => String(volume).endsWith(':/data')), 'the AOF lives on a volume');
  });

  it('gives the GPU worker an NVIDIA GPU and a stop grace period longer than its shutdown deadline', () => {
    const devices = list(dig(service('worker'), 'deploy.resources.reservations.devices'), 'worker GPU reservation').map((device) => mapping(device, 'device'));
    assert.ok(
      devices.some((device) => device.driver === 'nvidia' && list(device.capabilities, 'capabilities').includes('gpu') && (device.count === 'all' || Number(device.count) >= 1)),
      'worker reserves an nvidia gpu device',
    );
    assert.equal(environment('worker').EXECUTION_PROVIDER, 'cuda');
    for (const name of ['worker', 'worker-cpu']) {
      const deadline = Number(environment(name).WORKER_SHUTDOWN_DEADLINE_MS ?? 30_000) / 1000;
      const grace = seconds(text(service(name).stop_grace_period ?? '10s', `${name} stop_grace_period`));
      assert.ok(grace > deadline + 10, `${name}: stop_grace_period ${grace}s must exceed WORKER_SHUTDOWN_DEADLINE_MS (${deadline}s) plus the hand-back`);
    }
  });

  it('keeps the CPU worker behind the `cpu` profile, without a GPU', () => {
    const cpu = service('worker-cpu');
    assert.deepEqual(cpu.profiles, ['cpu']);
    assert.equal(environment('worker-cpu').EXECUTION_PROVIDER, 'cpu');
    assert.equal(dig(cpu, 'deploy.resources.reservations.devices'), undefined);
  });

  it('passes only variables the config schema knows, with values it accepts', () => {
    const known = new Set(Object.keys(environmentSchema.shape));
    for (const name of ['api', 'worker', 'worker-cpu']) {
      const env = environment(name);
      assert.deepEqual(Object.keys(env).filter((key) => !known.has(key)), [], `services.${name}.environment: variables the application does not read`);
      const parsed = environmentSchema.safeParse(env);
      assert.ok(parsed.success, `services.${name}: ${parsed.success ? '' : z.prettifyError(parsed.error)}`);
    }
    assert.equal(environment('api').STORAGE_DRIVER, 's3');
  });

  it('builds the API and the workers from deploy/docker', () => {
    for (const [name, dockerfile] of [
      ['api', 'deploy/docker/api.Dockerfile'],
      ['worker', 'deploy/docker/worker.Dockerfile'],
      ['worker-cpu', 'deploy/docker/worker.Dockerfile'],
    ] as const) {
      assert.deepEqual(service(name).build, { context: '.', dockerfile }, `services.${name}.build`);
      assert.ok(existsSync(repoPath(dockerfile)), dockerfile);
    }
    const apiPort = list(service('api').ports, 'api ports').map(String);
    const exposed = instructions(readDockerfile('deploy/docker/api.Dockerfile').at(-1) ?? assert.fail('no stage'), 'EXPOSE');
    assert.ok(apiPort.includes(`8080:${exposed[0]}`), `api publishes the port its image exposes (${exposed[0]})`);
    // Named volumes mounted on DATA_DIR: Docker seeds them from the image, owner included.
    for (const [name, dockerfile] of [
      ['api', 'deploy/docker/api.Dockerfile'],
      ['worker', 'deploy/docker/worker.Dockerfile'],
    ] as const) {
      const stage = readDockerfile(dockerfile).at(-1);
      assert.ok(stage && numericUser(stage) !== undefined);
      assert.ok(list(service(name).volumes, `${name} volumes`).some((volume) => /^[\w-]+:\/data$/.test(String(volume))), `${name}: DATA_DIR /data on a named volume`);
    }
  });

  it('provisions Prometheus from deploy/prometheus, scraping the compose services', () => {
    const prometheus = service('prometheus');
    assert.ok(!String(prometheus.image).endsWith(':latest') && String(prometheus.image).includes(':'), 'pin the Prometheus image');
    const mounts = bindMounts('prometheus');
    assert.ok(mounts.some((mount) => mount.source === './deploy/prometheus' && mount.target === '/etc/prometheus'), 'mount ./deploy/prometheus at /etc/prometheus');
    assert.ok(list(prometheus.command, 'prometheus command').includes('--config.file=/etc/prometheus/prometheus.yml'));
    const config = readYaml('deploy/prometheus/prometheus.yml');
    for (const job of list(dig(config, 'scrape_configs'), 'scrape_configs')) {
      const name = text(dig(job, 'job_name'), 'job_name');
      if (name === 'prometheus') continue;
      const hosts = [
        ...list(dig(job, 'static_configs') ?? [], `${name} static_configs`).flatMap((group) => list(dig(group, 'targets'), 'targets').map((target) => String(target).split(':')[0])),
        ...list(dig(job, 'dns_sd_configs') ?? [], `${name} dns_sd_configs`).flatMap((group) => list(dig(group, 'names'), 'names').map(String)),
      ];
      assert.ok(hosts.length > 0, `${name}: no targets`);
      for (const host of hosts) assert.ok(isMapping(services[host]), `${name} scrapes ${host}, which is not a compose service`);
    }
  });

  it('provisions Grafana from deploy/grafana', () => {
    const grafana = service('grafana');
    assert.ok(!String(grafana.image).endsWith(':latest') && String(grafana.image).includes(':'), 'pin the Grafana image');
    const mounts = bindMounts('grafana');
    assert.ok(mounts.some((mount) => mount.source === './deploy/grafana/provisioning' && mount.target === '/etc/grafana/provisioning'));
    assert.ok(mounts.some((mount) => mount.source === './deploy/grafana/dashboards'));
    const home = environment('grafana').GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    const dashboards = mounts.find((mount) => mount.source === './deploy/grafana/dashboards');
    assert.ok(home && dashboards && home.startsWith(`${dashboards.target}/`), 'the home dashboard is one of the mounted files');
    assert.ok(existsSync(repoPath('deploy/grafana/dashboards', home.slice(dashboards.target.length + 1))), `${home} exists in deploy/grafana/dashboards`);
    assert.ok(list(grafana.depends_on, 'grafana depends_on').includes('prometheus'));
  });

  it('mounts only deploy/ paths that exist', () => {
    for (const name of Object.keys(services)) {
      for (const mount of bindMounts(name)) {
        if (mount.source.startsWith('./deploy')) assert.ok(existsSync(repoPath(mount.source)), `services.${name}: ${mount.source} does not exist`);
      }
    }
  });
});
