import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { catalogMetrics, unknownMetricReason, type MetricType } from './support/catalog.js';
import { grafanaVariables, metricNames, substituteGrafanaVariables, variableQueryExpression } from './support/promql.js';
import { promtool } from './support/promtool.js';
import { listRepoFiles, readJson, readRepoFile, readYaml } from './support/repo.js';
import { dig, integer, isMapping, list, mapping, text, type Mapping } from './support/shape.js';

const DASHBOARD_DIR = 'deploy/grafana/dashboards';
const EXPECTED_UIDS = ['atelier-overview', 'atelier-workers', 'atelier-queues', 'atelier-webhooks'];
const PANEL_TYPES = new Set(['row', 'stat', 'timeseries', 'table', 'heatmap', 'bargauge', 'gauge', 'text', 'piechart']);
/** The dashboard and row where metrics listed in PENDING_METRICS.md may appear. */
const PENDING_SCOPE = { uid: 'atelier-workers', row: 'GPU' };

interface Expression {
  readonly where: string;
  readonly expr: string;
  readonly dashboard: string;
  readonly row: string | undefined;
}

interface Dashboard {
  readonly file: string;
  readonly json: Mapping;
  readonly uid: string;
  readonly panels: Mapping[];
  readonly variables: Mapping[];
}

function loadDashboards(): Dashboard[] {
  return listRepoFiles(DASHBOARD_DIR, ['.json']).map((file) => {
    const json = mapping(readJson(file), file);
    const panels = list(json.panels, `${file} panels`).map((panel, index) => mapping(panel, `${file} panels[${index}]`));
    // Collapsed rows keep their panels inside the row.
    const flat = panels.flatMap((panel) => [panel, ...(Array.isArray(panel.panels) ? panel.panels.map((inner, index) => mapping(inner, `${file} row ${String(panel.title)} panels[${index}]`)) : [])]);
    const variables = list(dig(json, 'templating.list') ?? [], `${file} templating.list`).map((variable, index) => mapping(variable, `${file} templating.list[${index}]`));
    return { file, json, uid: text(json.uid, `${file} uid`), panels: flat, variables };
  });
}

/** Every PromQL expression of a dashboard: panel targets and query variables, with its row. */
function expressions(dashboard: Dashboard): Expression[] {
  const found: Expression[] = [];
  let row: string | undefined;
  for (const panel of dashboard.panels) {
    if (panel.type === 'row') {
      row = text(panel.title, `${dashboard.file} row title`);
      continue;
    }
    for (const [index, target] of list(panel.targets ?? [], `${dashboard.file} ${String(panel.title)} targets`).entries()) {
      const where = `${dashboard.file} panel "${String(panel.title)}" target ${index}`;
      found.push({ where, expr: text(mapping(target, where).expr, `${where} expr`), dashboard: dashboard.uid, row });
    }
  }
  for (const variable of dashboard.variables) {
    if (variable.type !== 'query') continue;
    const where = `${dashboard.file} variable ${String(variable.name)}`;
    const query = isMapping(variable.query) ? variable.query.query : variable.query;
    const expr = variableQueryExpression(text(query, `${where} query`));
    if (expr !== undefined) found.push({ where, expr, dashboard: dashboard.uid, row: undefined });
  }
  return found;
}

/** Metric names in the first column of a markdown table (`| \`name\` | … |`). */
function tableMetrics(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|/gim)].map((match) => match[1]));
}

function pendingMetrics(): Set<string> {
  return tableMetrics(readRepoFile('deploy/grafana/PENDING_METRICS.md'));
}

describe('Grafana dashboards', () => {
  const dashboards = loadDashboards();
  let catalog: Map<string, MetricType>;
  before(async () => {
    catalog = await catalogMetrics();
  });

  it('are the four dashboards, with unique uids and titles', () => {
    assert.deepEqual(dashboards.map((dashboard) => dashboard.uid).sort(), [...EXPECTED_UIDS].sort());
    const titles = dashboards.map((dashboard) => text(dashboard.json.title, `${dashboard.file} title`));
    assert.equal(new Set(titles).size, titles.length, 'dashboard titles must be unique');
  });

  for (const dashboard of dashboards) {
    describe(dashboard.file, () => {
      it('is a provisionable dashboard with a Prometheus data source variable', () => {
        const { json, file } = dashboard;
        assert.match(dashboard.uid, /^[A-Za-z0-9_-]{1,40}$/, `${file}: uid`);
        assert.ok(json.id === null || json.id === undefined, `${file}: id must be null so provisioning assigns one`);
        const schemaVersion = integer(json.schemaVersion, `${file} schemaVersion`);
        assert.ok(schemaVersion >= 36 && schemaVersion <= 41, `${file}: schemaVersion ${schemaVersion} (expected ~39)`);
        assert.ok(list(json.tags, `${file} tags`).includes('atelier'), `${file}: tagged atelier (the dashboards link each other by tag)`);
        const datasource = dashboard.variables.find((variable) => variable.name === 'datasource');
        assert.ok(datasource, `${file}: needs a "datasource" variable`);
        assert.equal(datasource.type, 'datasource');
        assert.equal(datasource.query, 'prometheus');
        for (const variable of dashboard.variables.filter((candidate) => candidate.type === 'query')) {
          assert.equal(dig(variable, 'datasource.uid'), '${datasource}', `${file}: variable ${String(variable.name)} must query \${datasource}`);
        }
      });

      it('has panels with unique ids, a known type, a grid position and targets on ${datasource}', () => {
        const ids = new Set<number>();
        for (const panel of dashboard.panels) {
          const where = `${dashboard.file} panel "${String(panel.title)}"`;
          const id = integer(panel.id, `${where} id`);
          assert.ok(!ids.has(id), `${where}: duplicate id ${id}`);
          ids.add(id);
          assert.ok(PANEL_TYPES.has(text(panel.type, `${where} type`)), `${where}: unknown panel type ${String(panel.type)}`);
          text(panel.title, `${where} title`);
          const grid = mapping(panel.gridPos, `${where} gridPos`);
          const [x, y, w, h] = ['x', 'y', 'w', 'h'].map((key) => integer(grid[key], `${where} gridPos.${key}`));
          assert.ok(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= 24, `${where}: gridPos ${JSON.stringify(grid)} outside the 24-column grid`);
          if (panel.type === 'row' || panel.type === 'text') continue;
          assert.equal(dig(panel, 'datasource.uid'), '${datasource}', `${where}: datasource must be the \${datasource} variable`);
          const targets = list(panel.targets, `${where} targets`);
          assert.ok(targets.length > 0, `${where}: no targets`);
          const refIds = targets.map((target, index) => text(mapping(target, `${where} target ${index}`).refId, `${where} target ${index} refId`));
          assert.equal(new Set(refIds).size, refIds.length, `${where}: duplicate refIds`);
          for (const [index, target] of targets.entries()) {
            assert.equal(dig(target, 'datasource.uid'), '${datasource}', `${where} target ${index}: datasource`);
            assert.ok(text(dig(target, 'expr'), `${where} target ${index} expr`).trim().length > 0, `${where} target ${index}: empty expr`);
          }
        }
      });

      it('has panels that do not overlap', () => {
        const boxes = dashboard.panels
          .filter((panel) => isMapping(panel.gridPos))
          .map((panel) => ({ title: String(panel.title), ...(panel.gridPos as { x: number; y: number; w: number; h: number }) }));
        for (const [index, a] of boxes.entries()) {
          for (const b of boxes.slice(index + 1)) {
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            assert.ok(!overlap, `${dashboard.file}: "${a.title}" overlaps "${b.title}"`);
          }
        }
      });

      it('only uses variables it defines', () => {
        const defined = new Set(dashboard.variables.map((variable) => String(variable.name)));
        for (const { where, expr } of expressions(dashboard)) {
          for (const name of grafanaVariables(expr)) assert.ok(defined.has(name), `${where}: $${name} is not a dashboard variable`);
        }
      });

      it('only queries metrics of the catalog (and the pending GPU metrics, in the GPU row only)', () => {
        const pending = pendingMetrics();
        const problems: string[] = [];
        for (const { where, expr, dashboard: uid, row } of expressions(dashboard)) {
          const inPendingScope = uid === PENDING_SCOPE.uid && row === PENDING_SCOPE.row;
          for (const name of metricNames(substituteGrafanaVariables(expr))) {
            const reason = unknownMetricReason(name, catalog, inPendingScope ? pending : new Set());
            if (reason) problems.push(`${where}: ${reason}${pending.has(name) ? ' (pending metrics are allowed only in the GPU row of the workers dashboard)' : ''}`);
          }
        }
        assert.deepEqual(problems, []);
      });
    });
  }

  it('the workers dashboard has the GPU row; PENDING_METRICS.md lists exactly the non-catalog metrics it uses', () => {
    const workers = dashboards.find((dashboard) => dashboard.uid === PENDING_SCOPE.uid);
    assert.ok(workers);
    const gpu = expressions(workers).filter((expression) => expression.row === PENDING_SCOPE.row);
    assert.ok(gpu.length > 0, 'no panel in the GPU row');
    assert.deepEqual([...tableMetrics('| metric | type |\n| --- | --- |\n| `atelier_x_bytes` | gauge |\nprose `atelier_y`\n')], ['atelier_x_bytes']);
    const listed = pendingMetrics();
    const exported = [...listed].filter((name) => unknownMetricReason(name, catalog) === undefined);
    assert.deepEqual(exported, [], 'these are in the catalog now: delete their rows from deploy/grafana/PENDING_METRICS.md');
    const used = new Set(gpu.flatMap(({ expr }) => metricNames(substituteGrafanaVariables(expr))).filter((name) => unknownMetricReason(name, catalog) !== undefined));
    assert.deepEqual([...used].sort(), [...listed].sort(), 'PENDING_METRICS.md and the GPU row disagree');
  });

  describe('PromQL syntax (promtool)', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'atelier-dashboards-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('every dashboard expression parses', () => {
      const all = dashboards.flatMap(expressions);
      assert.ok(all.length > 40, `only ${all.length} expressions found`);
      // Each expression becomes a recording rule, so `promtool check rules` runs the real parser.
      const rules = all.map((expression, index) => `      - record: dashboard:expression_${index}\n        expr: ${JSON.stringify(substituteGrafanaVariables(expression.expr))}\n`);
      const file = path.join(dir, 'dashboards.rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboards\n    rules:\n${rules.join('')}`);
      const result = promtool(['check', 'rules', file]);
      const located = [...result.output.matchAll(/expression_(\d+)/g)].map((match) => all[Number(match[1])]?.where).filter(Boolean);
      assert.equal(result.status, 0, `${result.output}\n${located.join('\n')}`);
    });
  });

  it('are provisioned from the folder docker-compose.yml mounts, on the provisioned Prometheus', () => {
    const provider = mapping(list(dig(readYaml('deploy/grafana/provisioning/dashboards/atelier.yaml'), 'providers'), 'providers')[0], 'providers[0]');
    assert.equal(provider.type, 'file');
    const providerPath = text(dig(provider, 'options.path'), 'providers[0].options.path');
    const grafana = mapping(dig(readYaml('docker-compose.yml'), 'services.grafana'), 'services.grafana');
    const mounts = list(grafana.volumes, 'grafana volumes').map((volume) => text(volume, 'grafana volume').split(':'));
    assert.ok(
      mounts.some(([source, target]) => source === `./${DASHBOARD_DIR}` && target === providerPath),
      `grafana must mount ./${DASHBOARD_DIR} at ${providerPath}`,
    );
    assert.ok(
      mounts.some(([source, target]) => source === './deploy/grafana/provisioning' && target === '/etc/grafana/provisioning'),
      'grafana must mount ./deploy/grafana/provisioning at /etc/grafana/provisioning',
    );
    const datasources = list(dig(readYaml('deploy/grafana/provisioning/datasources/prometheus.yaml'), 'datasources'), 'datasources').map((source) => mapping(source, 'datasource'));
    const prometheus = datasources.find((source) => source.type === 'prometheus');
    assert.ok(prometheus, 'a prometheus data source is provisioned');
    assert.equal(prometheus.url, 'http://prometheus:9090');
    assert.ok(isMapping(dig(readYaml('docker-compose.yml'), 'services.prometheus')), 'docker-compose.yml has a prometheus service');
  });
});
