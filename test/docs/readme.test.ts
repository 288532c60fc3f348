import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { environmentSchema } from '@atelier/config';
import { createFarmMetrics } from '@atelier/metrics';

const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README stays true to the code', () => {
  it('documents every environment variable the schema reads', () => {
    const missing = Object.keys(environmentSchema.shape).filter((name) => !readme.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });

  it('documents every metric of the catalog', async () => {
    const metrics = createFarmMetrics('api', 'test');
    const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name).filter((name) => !name.startsWith('atelier_process_'));
    const missing = names.filter((name) => !readme.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });

  it('shows the two commands', () => {
    assert.match(readme, /npm run demo/);
    assert.match(readme, /npm test/);
  });
});
