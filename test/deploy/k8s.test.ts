import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { z } from 'zod';
import { environmentSchema } from '@atelier/config';
import { catalogMetrics, unknownMetricReason, type MetricType } from './support/catalog.js';
import { numericUser, readDockerfile } from './support/dockerfile.js';
import { metricNames } from './support/promql.js';
import { listRepoFiles, readRepoFile, readYaml, readYamlDocuments } from './support/repo.js';
import { dig, labelsMatch, list, mapping, text } from './support/shape.js';

const K8S = 'deploy/k8s';
const SECRET_EXAMPLE = `${K8S}/secret.example.yaml`;

// ---- Shapes (zod): what these tests rely on, unknown fields allowed ------------------------------

const labels = z.record(z.string(), z.string());
const dnsName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS-1123 label');
const metadata = z.looseObject({ name: dnsName, labels: labels.optional(), annotations: labels.optional(), namespace: z.string().optional() });
const k8sObject = z.looseObject({ apiVersion: z.string().min(1), kind: z.string().min(1), metadata });
const quantity = z.union([z.string(), z.number()]);
const probe = z.looseObject({
  httpGet: z.looseObject({ path: z.string().startsWith('/'), port: z.union([z.string(), z.number().int()]) }),
  periodSeconds: z.number().int().positive().optional(),
  failureThreshold: z.number().int().positive().optional(),
});
const container = z.looseObject({
  name: z.string(),
  image: z.string().min(1),
  ports: z.array(z.looseObject({ name: z.string().optional(), containerPort: z.number().int() })).default([]),
  env: z.array(z.looseObject({ name: z.string(), value: z.string().optional(), valueFrom: z.unknown().optional() })).default([]),
  envFrom: z
    .array(z.looseObject({ configMapRef: z.looseObject({ name: z.string() }).optional(), secretRef: z.looseObject({ name: z.string() }).optional() }))
    .default([]),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe.optional(),
  resources: z.looseObject({ requests: z.record(z.string(), quantity), limits: z.record(z.string(), quantity) }),
  lifecycle: z
    .looseObject({ preStop: z.looseObject({ exec: z.looseObject({ command: z.array(z.string()) }).optional(), httpGet: z.unknown().optional() }).optional() })
    .optional(),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string() })).default([]),
});
const deployment = k8sObject.extend({
  kind: z.literal('Deployment'),
  spec: z.looseObject({
    replicas: z.number().int().optional(),
    selector: z.looseObject({ matchLabels: labels }),
    template: z.looseObject({
      metadata: z.looseObject({ labels }),
      spec: z.looseObject({
        containers: z.array(container).min(1),
        terminationGracePeriodSeconds: z.number().int().positive().optional(),
        securityContext: z.looseObject({ runAsNonRoot: z.literal(true), runAsUser: z.number().int().positive() }),
        volumes: z.array(z.looseObject({ name: z.string(), persistentVolumeClaim: z.looseObject({ claimName: z.string() }).optional() })).default([]),
      }),
    }),
  }),
});
const service = k8sObject.extend({
  kind: z.literal('Service'),
  spec: z.looseObject({
    selector: labels,
    ports: z.array(z.looseObject({ name: z.string(), port: z.number().int(), targetPort: z.union([z.string(), z.number().int()]).optional() })).min(1),
  }),
});
const scaleTarget = z.looseObject({ apiVersion: z.string().optional(), kind: z.string().optional(), name: z.string() });
const hpa = k8sObject.extend({
  kind: z.literal('HorizontalPodAutoscaler'),
  spec: z.looseObject({
    scaleTargetRef: scaleTarget,
    minReplicas: z.number().int().positive(),
    maxReplicas: z.number().int().positive(),
    metrics: z.array(z.looseObject({ type: z.string(), resource: z.looseObject({ name: z.string(), target: z.looseObject({ type: z.string() }) }).optional() })).min(1),
  }),
});
const pdb = k8sObject.extend({
  kind: z.literal('PodDisruptionBudget'),
  spec: z.looseObject({ selector: z.looseObject({ matchLabels: labels }), minAvailable: quantity.optional(), maxUnavailable: quantity.optional() }),
});
const scaledObject = k8sObject.extend({
  kind: z.literal('ScaledObject'),
  spec: z.looseObject({
    scaleTargetRef: scaleTarget,
    minReplicaCount: z.number().int().min(0),
    maxReplicaCount: z.number().int().positive(),
    triggers: z.array(z.looseObject({ type: z.string(), metadata: z.record(z.string(), z.string()) })).min(1),
  }),
});
const serviceMonitor = k8sObject.extend({
  kind: z.literal('ServiceMonitor'),
  spec: z.looseObject({
    selector: z.looseObject({ matchLabels: labels }),
    endpoints: z.array(z.looseObject({ port: z.string(), path: z.string().optional() })).min(1),
  }),
});

type Deployment = z.infer<typeof deployment>;
type Service = z.infer<typeof service>;

function parseAs<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  assert.ok(result.success, `${where}:\n${result.success ? '' : z.prettifyError(result.error)}`);
  return result.data;
}

// ---- The manifests ---------------------------------------------------------------------------------

interface Loaded {
  readonly file: string;
  readonly object: z.infer<typeof k8sObject>;
}

const kustomization = mapping(readYaml(`${K8S}/kustomization.yaml`), 'kustomization.yaml');
const resourceFiles = list(kustomization.resources, 'kustomization resources').map((resource) => `${K8S}/${text(resource, 'resource')}`);
const objects: Loaded[] = resourceFiles.flatMap((file) =>
  readYamlDocuments(file).map((document, index) => ({ file, object: parseAs(k8sObject, document, `${file} document ${index}`) })),
);

function all(kind: string): Loaded[] {
  return objects.filter(({ object }) => object.kind === kind);
}

function one(kind: string, name: string): Loaded {
  const found = objects.find(({ object }) => object.kind === kind && object.metadata.name === name);
  assert.ok(found, `${kind}/${name} is not in the kustomization`);
  return found;
}

const deployments = all('Deployment').map(({ file, object }) => parseAs(deployment, object, `${file} Deployment/${object.metadata.name}`));
const services = all('Service').map(({ file, object }) => parseAs(service, object, `${file} Service/${object.metadata.name}`));

function deploymentNamed(name: string): Deployment {
  const found = deployments.find((candidate) => candidate.metadata.name === name);
  assert.ok(found, `Deployment/${name} is missing`);
  return found;
}

function podsOf(selector: Record<string, string>): Deployment[] {
  return deployments.filter((candidate) => labelsMatch(selector, candidate.spec.template.metadata.labels));
}

function envValue(target: Deployment, name: string): string | undefined {
  const fromEnv = target.spec.template.spec.containers[0].env.find((variable) => variable.name === name)?.value;
  return fromEnv ?? configMapData()[name];
}

function configMapData(): Record<string, string> {
  return parseAs(z.looseObject({ data: z.record(z.string(), z.string()) }), one('ConfigMap', 'atelier-config').object, 'ConfigMap/atelier-config').data;
}

function secretExample(): Record<string, string> {
  const [secret] = readYamlDocuments(SECRET_EXAMPLE);
  const parsed = parseAs(k8sObject.extend({ kind: z.literal('Secret'), stringData: z.record(z.string(), z.string()) }), secret, SECRET_EXAMPLE);
  assert.equal(parsed.metadata.name, 'atelier');
  return parsed.stringData;
}

function longestJobSeconds(): number {
  const annotation = deploymentNamed('atelier-worker').metadata.annotations?.['atelier.dev/longest-job-seconds'];
  assert.ok(annotation && /^\d+$/.test(annotation), 'Deployment/atelier-worker needs the atelier.dev/longest-job-seconds annotation');
  return Number(annotation);
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  let catalog: Map<string, MetricType>;
  before(async () => {
    catalog = await catalogMetrics();
  });

  it('kustomization lists every manifest but the Secret example, in namespace atelier', () => {
    const onDisk = listRepoFiles(K8S, ['.yaml', '.yml']).filter((file) => !file.endsWith('/kustomization.yaml') && file !== SECRET_EXAMPLE);
    assert.deepEqual([...resourceFiles].sort(), onDisk);
    assert.equal(kustomization.namespace, 'atelier');
    assert.equal(one('Namespace', 'atelier').object.apiVersion, 'v1');
    assert.ok(!resourceFiles.includes(SECRET_EXAMPLE), 'the example Secret must never be applied by kustomize');
  });

  it('every object has apiVersion, kind, a DNS name, the app label, and a unique kind/name', () => {
    const seen = new Set<string>();
    for (const { file, object } of objects) {
      const key = `${object.kind}/${object.metadata.name}`;
      assert.ok(!seen.has(key), `${file}: duplicate ${key}`);
      seen.add(key);
      assert.equal(object.metadata.labels?.['app.kubernetes.io/name'], 'atelier', `${file} ${key}: label app.kubernetes.io/name=atelier`);
      assert.ok(object.metadata.namespace === undefined || object.metadata.namespace === 'atelier', `${file} ${key}: namespace comes from kustomization`);
    }
    for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ScaledObject', 'ServiceMonitor', 'ConfigMap', 'PrometheusRule']) {
      assert.ok(all(kind).length > 0, `no ${kind}`);
    }
  });

  describe('Deployments', () => {
    it('are the API and the worker', () => {
      assert.deepEqual(deployments.map((candidate) => candidate.metadata.name).sort(), ['atelier-api', 'atelier-worker']);
    });

    for (const target of deployments) {
      const name = target.metadata.name;
      it(`${name}: selector matches the template, probes use declared ports, resources and volumes are set`, () => {
        const podLabels = target.spec.template.metadata.labels;
        assert.ok(labelsMatch(target.spec.selector.matchLabels, podLabels), `${name}: selector ${JSON.stringify(target.spec.selector.matchLabels)} does not match the template labels`);
        assert.equal(podsOf(target.spec.selector.matchLabels).length, 1, `${name}: its selector also matches another Deployment's pods`);
        const volumes = new Set(target.spec.template.spec.volumes.map((volume) => volume.name));
        for (const container of target.spec.template.spec.containers) {
          const portNames = new Set(container.ports.map((port) => port.name));
          const portNumbers = new Set(container.ports.map((port) => port.containerPort));
          for (const [kind, probe] of [
            ['livenessProbe', container.livenessProbe],
            ['readinessProbe', container.readinessProbe],
            ['startupProbe', container.startupProbe],
          ] as const) {
            if (!probe) continue;
            const port = probe.httpGet.port;
            assert.ok(typeof port === 'string' ? portNames.has(port) : portNumbers.has(port), `${name}/${container.name} ${kind}: port ${port} is not a container port`);
          }
          for (const resource of ['cpu', 'memory']) assert.ok(container.resources.requests[resource] !== undefined, `${name}/${container.name}: requests.${resource}`);
          assert.ok(container.resources.limits.memory !== undefined, `${name}/${container.name}: limits.memory`);
          for (const mount of container.volumeMounts) assert.ok(volumes.has(mount.name), `${name}/${container.name}: volumeMount ${mount.name} has no volume`);
          for (const source of container.envFrom) {
            if (source.configMapRef) one('ConfigMap', source.configMapRef.name);
            if (source.secretRef) assert.equal(source.secretRef.name, 'atelier', `${name}: Secret ${source.secretRef.name} is not described by ${SECRET_EXAMPLE}`);
          }
        }
        for (const volume of target.spec.template.spec.volumes) {
          if (volume.persistentVolumeClaim) one('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName);
        }
      });

      it(`${name}: runs as the image's numeric non-root user`, () => {
        const dockerfile = name === 'atelier-api' ? 'deploy/docker/api.Dockerfile' : 'deploy/docker/worker.Dockerfile';
        const finalStage = readDockerfile(dockerfile).at(-1);
        assert.ok(finalStage);
        const user = numericUser(finalStage);
        assert.ok(user !== undefined && user > 0, `${dockerfile}: the final USER must be a numeric non-root uid`);
        assert.equal(target.spec.template.spec.securityContext.runAsUser, user, `${name}: runAsUser must be ${dockerfile}'s USER`);
        assert.match(target.spec.template.spec.containers[0].image, new RegExp(`/${name}:`));
      });
    }

    it('scaled Deployments leave `replicas` to their autoscaler', () => {
      const scaled = [...all('HorizontalPodAutoscaler'), ...all('ScaledObject')].map(({ object }) => text(dig(object, 'spec.scaleTargetRef.name'), 'scaleTargetRef.name'));
      for (const name of scaled) assert.equal(deploymentNamed(name).spec.replicas, undefined, `${name}: kubectl apply would reset the autoscaler's replica count`);
    });

    it('the environment of each role is what the config schema accepts', () => {
      const known = new Set(Object.keys(environmentSchema.shape));
      const config = configMapData();
      const secret = secretExample();
      for (const [source, names] of [
        ['ConfigMap atelier-config', Object.keys(config)],
        [SECRET_EXAMPLE, Object.keys(secret)],
      ] as const) {
        assert.deepEqual(names.filter((name) => !known.has(name)), [], `${source}: variables the application does not read`);
      }
      for (const target of deployments) {
        const container = target.spec.template.spec.containers[0];
        assert.deepEqual(container.env.map((variable) => variable.name).filter((name) => !known.has(name)), [], `${target.metadata.name}: unknown env`);
        const literal = Object.fromEntries(container.env.flatMap((variable) => (variable.value === undefined ? [] : [[variable.name, variable.value]])));
        const merged = { ...config, ...secret, ...literal };
        const parsed = environmentSchema.safeParse(merged);
        assert.ok(parsed.success, `${target.metadata.name}: ${parsed.success ? '' : z.prettifyError(parsed.error)}`);
      }
      assert.equal(configMapData().STORAGE_DRIVER, 's3', 'replicas on different nodes share storage through S3');
      for (const shared of ['WEBHOOK_SECRET', 'STORAGE_SIGNING_SECRET', 'REDIS_URL']) assert.ok(secret[shared], `${SECRET_EXAMPLE}: ${shared} must be set so every pod agrees`);
    });
  });

  describe('API', () => {
    it('has a Service, a CPU HPA on a Deployment with CPU requests, and a PDB', () => {
      const api = deploymentNamed('atelier-api');
      const autoscaler = parseAs(hpa, one('HorizontalPodAutoscaler', 'atelier-api').object, 'HPA/atelier-api');
      assert.equal(autoscaler.spec.scaleTargetRef.kind, 'Deployment');
      assert.equal(autoscaler.spec.scaleTargetRef.name, 'atelier-api');
      assert.ok(autoscaler.spec.minReplicas >= 2 && autoscaler.spec.minReplicas <= autoscaler.spec.maxReplicas);
      assert.ok(
        autoscaler.spec.metrics.some((metric) => metric.type === 'Resource' && metric.resource?.name === 'cpu' && metric.resource.target.type === 'Utilization'),
        'HPA scales on CPU utilization',
      );
      for (const container of api.spec.template.spec.containers) assert.ok(container.resources.requests.cpu, 'CPU utilization needs CPU requests');
      const apiService = services.find((candidate) => candidate.metadata.name === 'atelier-api');
      assert.ok(apiService && podsOf(apiService.spec.selector).includes(api));
      const budget = all('PodDisruptionBudget').map(({ object }) => parseAs(pdb, object, `PDB/${object.metadata.name}`));
      assert.ok(budget.some((candidate) => podsOf(candidate.spec.selector.matchLabels).includes(api)), 'a PDB covers the API');
      assert.equal(envValue(api, 'PORT'), String(api.spec.template.spec.containers[0].ports[0].containerPort));
    });
  });

  describe('Workers', () => {
    it('request one NVIDIA GPU each', () => {
      const worker = deploymentNamed('atelier-worker');
      const { requests, limits } = worker.spec.template.spec.containers[0].resources;
      assert.equal(String(limits['nvidia.com/gpu']), '1', 'limits nvidia.com/gpu: 1');
      if (requests['nvidia.com/gpu'] !== undefined) assert.equal(String(requests['nvidia.com/gpu']), String(limits['nvidia.com/gpu']), 'extended resources: requests must equal limits');
      assert.equal(envValue(worker, 'EXECUTION_PROVIDER'), 'cuda');
    });

    it('get a grace period longer than the documented longest job plus drain and hand-back', () => {
      const worker = deploymentNamed('atelier-worker');
      const longest = longestJobSeconds();
      const documented = /longest job the farm is sized for is \*\*(\d+) s\*\*/.exec(readRepoFile(`${K8S}/README.md`));
      assert.ok(documented, `${K8S}/README.md states the longest job`);
      assert.equal(Number(documented[1]), longest, 'README and annotation agree on the longest job');
      const deadlineSeconds = Number(envValue(worker, 'WORKER_SHUTDOWN_DEADLINE_MS')) / 1000;
      assert.ok(deadlineSeconds >= longest, `WORKER_SHUTDOWN_DEADLINE_MS (${deadlineSeconds} s) must let the longest job (${longest} s) finish`);
      const jobDeadline = Number(envValue(worker, 'JOB_DEADLINE_MS')) / 1000;
      assert.ok(Number.isFinite(jobDeadline), 'JOB_DEADLINE_MS is set explicitly (configmap.yaml)');
      assert.ok(jobDeadline >= longest, `JOB_DEADLINE_MS (${jobDeadline} s) would fail jobs shorter than the longest job`);
      const preStop = worker.spec.template.spec.containers[0].lifecycle?.preStop?.exec?.command.join(' ') ?? '';
      const preStopTimeout = /AbortSignal\.timeout\((\d+)\)/.exec(preStop);
      assert.ok(preStopTimeout, 'the preStop hook bounds its request');
      const grace = worker.spec.template.spec.terminationGracePeriodSeconds ?? 30;
      const needed = Number(preStopTimeout[1]) / 1000 + deadlineSeconds + 10;
      assert.ok(grace > longest, `terminationGracePeriodSeconds ${grace} must exceed the longest job (${longest} s)`);
      assert.ok(grace >= needed, `terminationGracePeriodSeconds ${grace} < preStop + WORKER_SHUTDOWN_DEADLINE_MS + 10 s hand-back margin (${needed})`);
    });

    it('drain through the worker endpoint in preStop, without sleeping', () => {
      const worker = deploymentNamed('atelier-worker');
      const container = worker.spec.template.spec.containers[0];
      const command = container.lifecycle?.preStop?.exec?.command;
      assert.ok(command, 'worker needs a preStop exec hook');
      const script = command.join(' ');
      assert.doesNotMatch(script, /\bsleep\b/);
      assert.match(script, /\/drain'/);
      assert.match(script, /method:\s*'POST'/);
      assert.match(script, /process\.env\.METRICS_PORT \|\| 9464/);
      const metricsPort = container.ports.find((port) => port.name === 'metrics')?.containerPort;
      assert.equal(metricsPort, 9464);
      assert.equal(envValue(worker, 'METRICS_PORT'), String(metricsPort));
      assert.equal(command[0], 'node', 'the hook runs with the image\'s node (no curl in the image)');
    });

    it('have a PDB selecting the workers only', () => {
      const worker = deploymentNamed('atelier-worker');
      const budget = parseAs(pdb, one('PodDisruptionBudget', 'atelier-worker').object, 'PDB/atelier-worker');
      assert.deepEqual(podsOf(budget.spec.selector.matchLabels), [worker]);
      assert.ok(budget.spec.maxUnavailable !== undefined || budget.spec.minAvailable !== undefined);
    });

    it('are scaled by KEDA on the generation backlog, down to zero', () => {
      const scaler = parseAs(scaledObject, one('ScaledObject', 'atelier-worker').object, 'ScaledObject/atelier-worker');
      assert.equal(scaler.apiVersion, 'keda.sh/v1alpha1');
      assert.equal(scaler.spec.scaleTargetRef.kind ?? 'Deployment', 'Deployment');
      const target = deploymentNamed(scaler.spec.scaleTargetRef.name);
      assert.ok(target.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'] !== undefined, 'KEDA scales the GPU workers');
      assert.equal(scaler.spec.minReplicaCount, 0);
      assert.ok(scaler.spec.maxReplicaCount >= 1);
      assert.ok(!all('HorizontalPodAutoscaler').some(({ object }) => dig(object, 'spec.scaleTargetRef.name') === target.metadata.name), 'KEDA owns the worker HPA');
      for (const trigger of scaler.spec.triggers) {
        if (trigger.type === 'prometheus') {
          const query = trigger.metadata.query;
          assert.ok(query, 'prometheus trigger needs a query');
          assert.ok(Number(trigger.metadata.threshold) > 0, 'threshold: jobs per worker');
          assert.deepEqual(metricNames(query), ['atelier_queue_jobs']);
          for (const name of metricNames(query)) assert.equal(unknownMetricReason(name, catalog), undefined);
          assert.match(query, /queue="generation"/);
          const states = /state=~"([^"]+)"/.exec(query)?.[1].split('|') ?? [];
          for (const state of ['waiting', 'prioritized']) assert.ok(states.includes(state), `the query must count ${state} jobs`);
          assert.match(trigger.metadata.serverAddress ?? '', /^https?:\/\//);
        } else if (trigger.type === 'redis') {
          assert.equal(trigger.metadata.listName, 'atelier:generation:wait');
        } else {
          assert.fail(`unexpected trigger type ${trigger.type}`);
        }
      }
    });
  });

  describe('Services and monitoring', () => {
    it('every Service selects one Deployment and targets its declared ports', () => {
      for (const target of services) {
        const backends = podsOf(target.spec.selector);
        assert.equal(backends.length, 1, `Service/${target.metadata.name} must select exactly one Deployment`);
        const ports = backends[0].spec.template.spec.containers.flatMap((container) => container.ports);
        for (const port of target.spec.ports) {
          const targetPort = port.targetPort ?? port.port;
          assert.ok(
            ports.some((candidate) => (typeof targetPort === 'string' ? candidate.name === targetPort : candidate.containerPort === targetPort)),
            `Service/${target.metadata.name} port ${port.name}: targetPort ${targetPort} is not a container port`,
          );
        }
      }
    });

    it('ServiceMonitors scrape named ports of existing Services, named like the Prometheus jobs', () => {
      const monitors = all('ServiceMonitor').map(({ object }) => parseAs(serviceMonitor, object, `ServiceMonitor/${object.metadata.name}`));
      const scraped = new Set<string>();
      for (const monitor of monitors) {
        const selected: Service[] = services.filter((candidate) => labelsMatch(monitor.spec.selector.matchLabels, candidate.metadata.labels ?? {}));
        assert.ok(selected.length > 0, `ServiceMonitor/${monitor.metadata.name} selects no Service`);
        for (const target of selected) {
          scraped.add(target.metadata.name);
          for (const endpoint of monitor.spec.endpoints) {
            assert.ok(
              target.spec.ports.some((port) => port.name === endpoint.port),
              `ServiceMonitor/${monitor.metadata.name}: Service/${target.metadata.name} has no port named ${endpoint.port}`,
            );
            assert.equal(endpoint.path ?? '/metrics', '/metrics');
          }
        }
      }
      // The Operator's job label is the Service name: the same jobs as deploy/prometheus/prometheus.yml.
      const jobs = list(dig(readYaml('deploy/prometheus/prometheus.yml'), 'scrape_configs'), 'scrape_configs')
        .map((job) => text(dig(job, 'job_name'), 'job_name'))
        .filter((job) => job.startsWith('atelier-'));
      assert.deepEqual([...scraped].sort(), jobs.sort());
    });

    it('the PrometheusRule carries exactly the groups of deploy/prometheus/rules/atelier.rules.yml', () => {
      const rule = one('PrometheusRule', 'atelier').object;
      assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1');
      assert.deepEqual(dig(rule, 'spec.groups'), dig(readYaml('deploy/prometheus/rules/atelier.rules.yml'), 'groups'));
    });
  });
});
