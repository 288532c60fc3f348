import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { environmentSchema } from '#libs/config/src/index.js';
import { instructions, numericUser, readDockerfile } from './support/dockerfile.js';
import { readYaml, repoPath } from './support/repo.js';
import { dig, isMapping, list, mapping, text, type Mapping } from './support/shape.js';

const compose = mapping(readYaml('docker-compose.yml'), 'docker-compose.yml');
const services = mapping(compose.services, 'services');

function service(name: string): Mapping {
  return mapping(services[name], `services.${name}`);
}

/** Compose `${VAR:-default}` interpolation, with the defaults (every variable must have one). */
function interpolate(value: string, where: string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_match, name: string, fallback: string | undefined) => {
    assert.ok(fallback !== undefined, `${where}: \${${name}} needs a default (\${${name}:-…}) so \`docker compose up\` works as is`);
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
