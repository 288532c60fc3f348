// The workspace packages' dependency graph: declared, acyclic, layered (architecture/layers.json),
// no production code on test helpers, no imports into another package's files. The second half
// shows each check failing on a graph that breaks it, so a green run means something.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  cycles,
  deepImports,
  findWorkspaceRoot,
  graphTable,
  layerViolations,
  productionGraph,
  referenceMismatches,
  readLayering,
  readProductionReferences,
  readRootSources,
  readSources,
  readWorkspace,
  specifiersIn,
  testingImports,
  undeclaredImports,
  type Layering,
  type SourceFile,
  type WorkspacePackage,
} from './support/package-graph.js';

const root = findWorkspaceRoot(path.dirname(fileURLToPath(import.meta.url)));
const packages = readWorkspace(root);
const sources = readSources(root, packages);
const layering = readLayering(root);
const graph = productionGraph(sources);

const noProblems = (problems: string[]) => assert.deepEqual(problems, [], `\n  ${problems.join('\n  ')}`);

describe('workspace dependency graph', () => {
  it('finds the packages and their sources', () => {
    assert.ok(packages.length >= 20, `only ${packages.length} workspace packages found`);
    assert.ok(sources.filter((file) => file.production).length > 100);
    console.log(`\n${graphTable(layering, graph)}\n`);
  });

  it('(a) every imported workspace package is declared in the importer’s package.json', () => noProblems(undeclaredImports(packages, sources)));
  it('(b) production dependencies form no cycle', () => noProblems(cycles(graph)));
  it('(c) no package imports one of a higher layer, and every package has a layer', () => noProblems(layerViolations(layering, graph)));
  it('(d) no production module imports a testing entry or a test-only package', () => noProblems(testingImports(layering, sources)));
  it('(e) no #libs/ import, no import into another package’s files, no relative path leaving a package (root test/ and bench/ included)', () =>
    noProblems(deepImports(packages, [...sources, ...readRootSources(root)])));
  it('(f) each production tsconfig.json references exactly the packages its package.json depends on', () =>
    noProblems(referenceMismatches(packages, readProductionReferences(root, packages))));
});

describe('the graph checks catch what they are for', () => {
  const pkg = (name: string, dir: string, dependencies: string[] = [], devDependencies: string[] = []): WorkspacePackage => ({
    name,
    dir,
    manifest: { name, dependencies: Object.fromEntries(dependencies.map((d) => [d, '*'])), devDependencies: Object.fromEntries(devDependencies.map((d) => [d, '*'])) },
  });
  const file = (owner: string, filePath: string, specifiers: string[]): SourceFile => ({ package: owner, path: filePath, production: !/\.test\.ts$|\/testing\//.test(filePath), specifiers });
  const layers: Layering = { layers: [{ name: 'low', packages: ['@atelier/a'] }, { name: 'high', packages: ['@atelier/b'] }], testOnly: ['@atelier/testing'] };
  const workspace = [pkg('@atelier/a', 'libs/a'), pkg('@atelier/b', 'libs/b', ['@atelier/a'], ['@atelier/testing'])];

  it('reads import, export-from, side-effect and dynamic import specifiers', () => {
    const text = "import { x } from '@atelier/a';\nimport type { Y } from './y.js';\nexport * from '../z.js';\nimport 'reflect-metadata';\nconst m = await import('@atelier/b');";
    assert.deepEqual(specifiersIn(text), ['@atelier/a', './y.js', '../z.js', 'reflect-metadata', '@atelier/b']);
  });

  it('(a) flags an undeclared import, and a devDependency used by production code', () => {
    const problems = undeclaredImports(workspace, [file('@atelier/a', 'libs/a/src/x.ts', ['@atelier/b']), file('@atelier/b', 'libs/b/src/y.ts', ['@atelier/testing']), file('@atelier/b', 'libs/b/src/y.test.ts', ['@atelier/testing'])]);
    assert.equal(problems.length, 2, problems.join('\n'));
  });

  it('(b) flags a cycle', () => {
    const problems = cycles(productionGraph([file('@atelier/a', 'libs/a/src/x.ts', ['@atelier/b']), file('@atelier/b', 'libs/b/src/y.ts', ['@atelier/a'])]));
    assert.deepEqual(problems, ['@atelier/a → @atelier/b → @atelier/a']);
  });

  it('(b) ignores edges through tests only', () => {
    assert.deepEqual(cycles(productionGraph([file('@atelier/a', 'libs/a/src/x.test.ts', ['@atelier/b']), file('@atelier/b', 'libs/b/src/y.ts', ['@atelier/a'])])), []);
  });

  it('(c) flags an upward edge and a package without a layer', () => {
    const problems = layerViolations(layers, productionGraph([file('@atelier/a', 'libs/a/src/x.ts', ['@atelier/b']), file('@atelier/c', 'libs/c/src/z.ts', [])]));
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems.join('\n'), /@atelier\/a \(low\) imports @atelier\/b \(high\): an upward edge/);
  });

  it('(d) flags production code importing a ./testing entry or a test-only package, not tests or helpers doing so', () => {
    const problems = testingImports(layers, [
      file('@atelier/b', 'libs/b/src/x.ts', ['@atelier/a/testing', '@atelier/testing']),
      file('@atelier/b', 'libs/b/src/x.test.ts', ['@atelier/a/testing']),
      file('@atelier/b', 'libs/b/src/testing/h.ts', ['@atelier/a/testing']),
    ]);
    assert.equal(problems.length, 2, problems.join('\n'));
  });

  it('(f) flags a dependency without a project reference, and a reference without a dependency', () => {
    const references = new Map([
      ['@atelier/a', ['../b/tsconfig.json']],
      ['@atelier/b', []],
    ]);
    const problems = referenceMismatches(workspace, references);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems.join('\n'), /libs\/b\/tsconfig\.json does not reference @atelier\/a/);
    assert.match(problems.join('\n'), /libs\/a\/tsconfig\.json references @atelier\/b, which its package\.json does not depend on/);
  });

  it('(e) flags #libs/, deep package paths and relative paths out of the package', () => {
    const problems = deepImports(workspace, [
      file('@atelier/b', 'libs/b/src/x.ts', ['#libs/a/src/index.js', '@atelier/a/src/index.js', '@atelier/a/dist/index.js', '../../a/src/index.js', './ok.js', '../src/ok.js', '@atelier/a/testing']),
      { package: '(root test/)', path: 'test/e2e/x.test.ts', production: false, specifiers: ['../../apps/api/src/app.module.js', '../support/ok.js'] },
    ]);
    assert.equal(problems.length, 5, problems.join('\n'));
  });
});
