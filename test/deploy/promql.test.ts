import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unknownMetricReason, type MetricType } from './support/catalog.js';
import { grafanaVariables, metricNames, substituteGrafanaVariables, variableQueryExpression } from './support/promql.js';

describe('PromQL metric-name extraction used by the deploy tests', () => {
  it('finds selectors and skips functions, aggregations, label lists, strings and durations', () => {
    assert.deepEqual(
      metricNames('histogram_quantile(0.95, sum by (le, model_family) (rate(atelier_job_end_to_end_seconds_bucket{job_type="generation"}[5m]))) > 120'),
      ['atelier_job_end_to_end_seconds_bucket'],
    );
    assert.deepEqual(
      metricNames('sum(max by (state) (atelier_queue_jobs{state=~"waiting|prioritized"})) > 0 unless on () count(up{job="atelier-worker"} == 1) > 0'),
      ['atelier_queue_jobs', 'up'],
    );
    assert.deepEqual(metricNames('deriv(sum(foo)[10m:1m]) * 1e3 + bar offset 5m'), ['bar', 'foo']);
    assert.deepEqual(metricNames('a / on (instance) group_left (version) b'), ['a', 'b']);
    assert.deepEqual(metricNames('label_replace(x, "dst", "$1", "src", "(.*)") or vector(0)'), ['x']);
    assert.deepEqual(metricNames('sum(rate(x_total[5m])) without (pod)'), ['x_total']);
  });

  it('checks names against the catalog, histogram series included', () => {
    const catalog = new Map<string, MetricType>([
      ['h_seconds', 'histogram'],
      ['c_total', 'counter'],
    ]);
    assert.equal(unknownMetricReason('h_seconds_bucket', catalog), undefined);
    assert.equal(unknownMetricReason('h_seconds_count', catalog), undefined);
    assert.equal(unknownMetricReason('c_total', catalog), undefined);
    assert.equal(unknownMetricReason('up', catalog), undefined);
    assert.match(unknownMetricReason('h_seconds', catalog) ?? '', /is a histogram/);
    assert.match(unknownMetricReason('c_total_bucket', catalog) ?? '', /has no _bucket/);
    assert.match(unknownMetricReason('nope', catalog) ?? '', /not in the metric catalog/);
  });

  it('handles Grafana variables', () => {
    assert.equal(substituteGrafanaVariables('rate(x{instance=~"$instance"}[$__rate_interval])'), 'rate(x{instance=~".+"}[5m])');
    assert.equal(substituteGrafanaVariables('x{q=~"${queue}"}[${__range}]'), 'x{q=~".+"}[5m]');
    assert.deepEqual(grafanaVariables('x{a=~"$a",b=~"${b}"}[$__rate_interval]'), ['a', 'b']);
    assert.equal(variableQueryExpression('label_values(up{job="atelier-worker"}, instance)'), 'up{job="atelier-worker"}');
    assert.equal(variableQueryExpression('label_names()'), undefined);
  });
});
