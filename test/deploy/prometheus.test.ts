import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { createFarmMetrics } from '@atelier/metrics';
import { catalogMetrics, unknownMetricReason, type MetricType } from './support/catalog.js';
import { metricNames } from './support/promql.js';
import { promtool } from './support/promtool.js';
import { listRepoFiles, readYaml, repoPath } from './support/repo.js';
import { dig, list, mapping, text, type Mapping } from './support/shape.js';

/** Where docker-compose.yml mounts the `metrics_token` secret in the Prometheus container. */
const COMPOSE_METRICS_TOKEN = '/run/secrets/metrics_token';
const RULE_FILES = listRepoFiles('deploy/prometheus/rules', ['.yml', '.yaml']);
const RULE_TESTS = listRepoFiles('deploy/prometheus/tests', ['.yml', '.yaml']);
/** The alerts the farm must have (README "Deployment" and deploy/k8s/README.md refer to them). */
const REQUIRED_ALERTS = [
  'AtelierGenerationBacklogGrowing',
  'AtelierNoLiveWorkers',
  'AtelierGenerationFailureRateHigh',
  'AtelierWebhookDeliveriesFailing',
  'AtelierEndToEndLatencyHigh',
];

/**
 * prom-client's default Node.js metrics name three gauges `*_total`, which `promtool check metrics`
 * flags; they come from the library (collectDefaultMetrics), not from the catalog, so only these
 * exact findings are tolerated.
 */
const UPSTREAM_LINT_FINDINGS = new Set([
  'atelier_process_nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'atelier_process_nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'atelier_process_nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
]);

function rules(): { file: string; group: string; rule: Mapping }[] {
  return RULE_FILES.flatMap((file) =>
    list(dig(readYaml(file), 'groups'), `${file} groups`).flatMap((group, groupIndex) => {
      const groupMapping = mapping(group, `${file} groups[${groupIndex}]`);
      return list(groupMapping.rules, `${file} group ${String(groupMapping.name)} rules`).map((rule, index) => ({
        file,
        group: text(groupMapping.name, `${file} groups[${groupIndex}].name`),
        rule: mapping(rule, `${file} group ${String(groupMapping.name)} rule ${index}`),
      }));
    }),
  );
}

describe('Prometheus configuration and alert rules', () => {
  let catalog: Map<string, MetricType>;
  before(async () => {
    catalog = await catalogMetrics();
  });

  it('has rule files and rule unit tests', () => {
    assert.ok(RULE_FILES.length > 0, 'no files in deploy/prometheus/rules');
    assert.ok(RULE_TESTS.length > 0, 'no files in deploy/prometheus/tests');
  });

  for (const file of RULE_FILES) {
    it(`promtool check rules ${file}`, () => {
      const result = promtool(['check', 'rules', file]);
      assert.equal(result.status, 0, result.output);
    });
  }

  it('promtool check config deploy/prometheus/prometheus.yml', () => {
    // The API's scrape credential is a file Compose mounts at run time (the metrics_token secret);
    // promtool insists it exists, so the check runs on a copy pointing at a stand-in file.
    const copy = mkdtempSync(path.join(tmpdir(), 'prometheus-config-'));
    try {
      cpSync(repoPath('deploy/prometheus'), copy, { recursive: true });
      const token = path.join(copy, 'metrics_token');
      writeFileSync(token, 'stand-in-metrics-token\n');
      const config = readFileSync(path.join(copy, 'prometheus.yml'), 'utf8');
      assert.ok(config.includes(COMPOSE_METRICS_TOKEN), `the API job reads its token from ${COMPOSE_METRICS_TOKEN}`);
      writeFileSync(path.join(copy, 'prometheus.yml'), config.replaceAll(COMPOSE_METRICS_TOKEN, token));
      const result = promtool(['check', 'config', path.join(copy, 'prometheus.yml')]);
      assert.equal(result.status, 0, result.output);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  for (const file of RULE_TESTS) {
    it(`promtool test rules ${file}`, () => {
      const result = promtool(['test', 'rules', file]);
      assert.equal(result.status, 0, result.output);
    });
  }

  it('has the required alerts, each with a severity, a summary, a description and a runbook', () => {
    const alerts = rules().filter(({ rule }) => typeof rule.alert === 'string');
    const names = alerts.map(({ rule }) => String(rule.alert));
    assert.equal(new Set(names).size, names.length, 'alert names must be unique');
    for (const required of REQUIRED_ALERTS) assert.ok(names.includes(required), `missing alert ${required}`);
    for (const { rule } of alerts) {
      const name = String(rule.alert);
      assert.ok(['warning', 'critical'].includes(String(dig(rule, 'labels.severity'))), `${name}: labels.severity must be warning or critical`);
      for (const annotation of ['summary', 'description', 'runbook']) {
        const value = dig(rule, `annotations.${annotation}`);
        assert.ok(typeof value === 'string' && value.trim().length > 20, `${name}: annotations.${annotation} must say something`);
      }
    }
  });

  it('unit-tests every alert firing at least once', () => {
    const fired = new Set<string>();
    for (const file of RULE_TESTS) {
      for (const test of list(dig(readYaml(file), 'tests'), `${file} tests`)) {
        for (const check of list(dig(test, 'alert_rule_test') ?? [], `${file} alert_rule_test`)) {
          if (list(dig(check, 'exp_alerts') ?? [], `${file} exp_alerts`).length > 0) fired.add(text(dig(check, 'alertname'), `${file} alertname`));
        }
      }
    }
    const alerts = rules().flatMap(({ rule }) => (typeof rule.alert === 'string' ? [rule.alert] : []));
    assert.deepEqual(alerts.filter((alert) => !fired.has(alert)), [], 'alerts without a firing unit test');
  });

  it('rules only use catalog metrics', () => {
    const problems: string[] = [];
    for (const { file, rule } of rules()) {
      for (const name of metricNames(text(rule.expr, `${file} ${String(rule.alert ?? rule.record)} expr`))) {
        const reason = unknownMetricReason(name, catalog);
        if (reason) problems.push(`${file} ${String(rule.alert ?? rule.record)}: ${reason}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('scrapes the API on :8080 and the workers on :9464 under the job names the rules use', () => {
    const config = readYaml('deploy/prometheus/prometheus.yml');
    const jobs = new Map(list(dig(config, 'scrape_configs'), 'scrape_configs').map((job) => [text(dig(job, 'job_name'), 'job_name'), mapping(job, 'scrape config')]));
    const api = jobs.get('atelier-api');
    assert.ok(api, 'job atelier-api');
    const apiTargets = list(dig(api, 'static_configs'), 'atelier-api static_configs').flatMap((config) => list(dig(config, 'targets'), 'targets'));
    assert.deepEqual(apiTargets, ['api:8080']);
    const worker = jobs.get('atelier-worker');
    assert.ok(worker, 'job atelier-worker');
    const dns = list(dig(worker, 'dns_sd_configs'), 'atelier-worker dns_sd_configs').map((config) => mapping(config, 'dns_sd_config'));
    assert.ok(dns.some((config) => list(config.names, 'names').includes('worker') && config.port === 9464 && config.type === 'A'), 'workers: DNS A records of `worker` on port 9464');
    for (const { rule } of rules()) {
      for (const match of String(rule.expr).matchAll(/\bjob\s*=\s*"([^"]+)"/g)) assert.ok(jobs.has(match[1]), `${String(rule.alert)} uses job="${match[1]}", which prometheus.yml does not scrape`);
    }
    for (const pattern of list(dig(config, 'rule_files'), 'rule_files')) assert.equal(pattern, 'rules/*.yml', 'rule_files are relative to the mounted config folder');
  });

  it('promtool check metrics accepts what both roles expose, with samples in every histogram', async () => {
    for (const role of ['api', 'worker'] as const) {
      const metrics = createFarmMetrics(role, '1.2.3');
      metrics.httpRequests.inc({ method: 'POST', route: '/v1/generations', status_class: '2xx' });
      metrics.generationsSubmitted.inc({ kind: 'single' });
      metrics.queueJobs.set({ queue: 'generation', state: 'waiting' }, 3);
      metrics.jobsCompleted.inc({ job_type: 'generation', outcome: 'succeeded' });
      metrics.jobFailures.inc({ job_type: 'generation', code: 'model_not_found' });
      metrics.imagesGenerated.inc({ model_family: 'sd15' }, 2);
      metrics.queueWait.observe({ job_type: 'generation' }, 0.4);
      metrics.inference.observe({ job_type: 'generation', model_family: 'sd15' }, 3.2);
      metrics.upload.observe({ job_type: 'generation' }, 0.08);
      metrics.endToEnd.observe({ job_type: 'generation', model_family: 'sd15' }, 3.9);
      metrics.denoisingStep.observe({ model_family: 'sd15' }, 0.12);
      metrics.workerBusy.set(1);
      metrics.sessionPoolSessions.set(3);
      metrics.sessionPoolBytes.set(2_000_000_000);
      metrics.sessionPoolHits.inc();
      metrics.sessionPoolMisses.inc();
      metrics.sessionPoolEvictions.inc();
      metrics.sessionLoad.observe(1.5);
      metrics.webhookDeliveries.inc({ event: 'generation.succeeded', outcome: 'delivered' });
      metrics.webhookLatency.observe({ event: 'generation.succeeded' }, 0.03);
      const exposition = await metrics.registry.metrics();
      assert.match(exposition, /atelier_job_end_to_end_seconds_bucket\{[^}]*le="5"[^}]*\} 1/, 'the histogram has its sample');

      const result = promtool(['check', 'metrics'], exposition);
      const findings = result.output
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      const unexpected = findings.filter((finding) => !UPSTREAM_LINT_FINDINGS.has(finding));
      assert.deepEqual(unexpected, [], `${role}: promtool check metrics`);
      // 0: clean; 3: lint findings only (all of them tolerated above). 1 would be a parse error.
      assert.ok(result.status === 0 || (result.status === 3 && findings.length > 0), `${role}: promtool exited ${result.status}\n${result.output}`);
    }
  });

  it('tolerates no lint finding that the registries no longer produce', async () => {
    // Keeps UPSTREAM_LINT_FINDINGS honest: once prom-client (or the catalog) stops producing a
    // finding, it must leave the list.
    const names = new Set((await createFarmMetrics('api', 'x').registry.getMetricsAsJSON()).map((metric) => metric.name));
    for (const finding of UPSTREAM_LINT_FINDINGS) {
      const name = finding.split(' ')[0];
      assert.ok(names.has(name), `${name} is no longer exposed: drop it from UPSTREAM_LINT_FINDINGS`);
      assert.notEqual(catalog.get(name), 'counter');
    }
  });
});
