import { createFarmMetrics } from '@atelier/metrics';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** Metrics both roles can expose (the catalog, process metrics included), name → type. */
export async function catalogMetrics(): Promise<Map<string, MetricType>> {
  const metrics = new Map<string, MetricType>();
  for (const role of ['api', 'worker'] as const) {
    for (const metric of await createFarmMetrics(role, 'x').registry.getMetricsAsJSON()) metrics.set(metric.name, String(metric.type) as MetricType);
  }
  return metrics;
}

/**
 * Why `name` is not a series the farm (or Prometheus itself) produces, or undefined when it is:
 * catalog names, `_bucket`/`_sum`/`_count` of catalog histograms and summaries, and `up`.
 */
export function unknownMetricReason(name: string, catalog: ReadonlyMap<string, MetricType>, extra: ReadonlySet<string> = new Set()): string | undefined {
  if (name === 'up' || extra.has(name)) return undefined;
  const type = catalog.get(name);
  if (type === 'histogram' || type === 'summary') return `${name} is a ${type}: use ${name}_bucket, _sum or _count`;
  if (type !== undefined) return undefined;
  const suffix = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (suffix) {
    const base = catalog.get(suffix[1]);
    if (base === 'histogram' || (base === 'summary' && suffix[2] !== 'bucket')) return undefined;
    if (base !== undefined) return `${name}: ${suffix[1]} is a ${base}, it has no _${suffix[2]} series`;
  }
  return `${name} is not in the metric catalog (libs/metrics/src/farm-metrics.ts)`;
}
