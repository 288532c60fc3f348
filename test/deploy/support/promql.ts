// Metric names referenced by a PromQL expression, without a full parser: strings, label
// matchers, range/subquery brackets and label lists (by/without/on/ignoring/group_*) are blanked
// out, then every remaining identifier that is not a function call, keyword or part of a number
// or duration must be a metric name. `promtool check rules` separately proves the syntax.

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan', 'atan2']);

export function metricNames(expression: string): string[] {
  let rest = expression
    .replace(/#[^\n]*/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^{}]*\}/g, '{}')
    .replace(/\[[^[\]]*\]/g, '[]');
  rest = rest.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)/gi, ' ');
  const names = new Set<string>();
  for (const match of rest.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const start = match.index;
    const before = rest[start - 1] ?? ' ';
    if (/[0-9.]/.test(before)) continue; // 1e3, 0x1f, 5m
    if (/^\s*\(/.test(rest.slice(start + word.length))) continue; // function or aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names].sort();
}

/** Grafana's interval variables, and a regex matching anything for `$var` / `${var}`. */
export function substituteGrafanaVariables(expression: string): string {
  return expression
    .replace(/\$__(?:rate_interval|interval|range)\b/g, '5m')
    .replace(/\$\{__(?:rate_interval|interval|range)\}/g, '5m')
    .replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, '.+');
}

/** Variables (`$name`, `${name}`) a Grafana expression uses, built-ins (`$__…`) excluded. */
export function grafanaVariables(expression: string): string[] {
  const names = new Set<string>();
  for (const match of expression.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g)) {
    const name = match[1] ?? match[2];
    if (name !== undefined && !name.startsWith('__')) names.add(name);
  }
  return [...names];
}

/** The PromQL inside a Prometheus variable query: `label_values(expr, label)` → `expr`. */
export function variableQueryExpression(query: string): string | undefined {
  const labelValues = /^\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*$/s.exec(query);
  if (labelValues) return labelValues[1];
  const wrapped = /^\s*query_result\(\s*(.+)\s*\)\s*$/s.exec(query);
  if (wrapped) return wrapped[1];
  if (/^\s*(label_names|metrics)\(/.test(query)) return undefined;
  return query;
}
