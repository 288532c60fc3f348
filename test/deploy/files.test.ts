import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listRepoFiles, readJson, readYamlDocuments } from './support/repo.js';
import { parseYamlDocuments } from './support/yaml.js';

describe('deploy/ files parse', () => {
  const yamlFiles = [...listRepoFiles('deploy', ['.yaml', '.yml']), 'docker-compose.yml'];
  const jsonFiles = listRepoFiles('deploy', ['.json']);

  it('finds the files it is meant to check', () => {
    for (const expected of [
      'deploy/prometheus/prometheus.yml',
      'deploy/prometheus/rules/atelier.rules.yml',
      'deploy/grafana/provisioning/datasources/prometheus.yaml',
      'deploy/grafana/provisioning/dashboards/atelier.yaml',
      'deploy/k8s/kustomization.yaml',
    ]) {
      assert.ok(yamlFiles.includes(expected), `${expected} is missing`);
    }
    assert.equal(jsonFiles.filter((file) => file.startsWith('deploy/grafana/dashboards/')).length, 4);
  });

  for (const file of yamlFiles) {
    it(`${file} is YAML with at least one document, each a mapping`, () => {
      const documents = readYamlDocuments(file);
      assert.ok(documents.length > 0, `${file} is empty`);
      for (const [index, document] of documents.entries()) {
        assert.ok(typeof document === 'object' && document !== null && !Array.isArray(document), `${file} document ${index} is not a mapping`);
      }
    });
  }

  for (const file of jsonFiles) {
    it(`${file} is a JSON object`, () => {
      const value = readJson(file);
      assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value));
    });
  }

  it('the YAML reader rejects what Kubernetes and Compose would reject', () => {
    assert.throws(() => parseYamlDocuments('a: 1\na: 2\n'), /duplicate/i);
    assert.throws(() => parseYamlDocuments('a: [1, 2\n'));
    assert.deepEqual(parseYamlDocuments('base: &b { x: 1 }\nderived:\n  <<: *b\n  y: 2\n---\nz: 3\n'), [
      { base: { x: 1 }, derived: { x: 1, y: 2 } },
      { z: 3 },
    ]);
  });
});
