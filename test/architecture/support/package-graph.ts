// The workspace packages and the imports between them, read from the checkout, and the rules
// their graph must follow (architecture/layers.json). Pure functions over plain data, so the
// checks can be shown to fail on a graph that breaks them.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

export interface WorkspacePackage {
  readonly name: string;
  /** Repository-relative folder, e.g. libs/diffusion. */
  readonly dir: string;
  readonly manifest: Manifest;
}

export interface SourceFile {
  readonly package: string;
  /** Repository-relative path. */
  readonly path: string;
  /** Production code: not a *.test.ts, not under a testing/ folder. */
  readonly production: boolean;
  readonly specifiers: readonly string[];
}

export interface Layering {
  readonly layers: readonly { readonly name: string; readonly packages: readonly string[] }[];
  /** Packages only tests may import (like every package's ./testing entry). */
  readonly testOnly: readonly string[];
}

const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s(?:[^'"`;]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Module specifiers of static imports, re-exports and dynamic imports with a literal. */
export function specifiersIn(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(SPECIFIER)) found.push(match[1] ?? match[2]);
  return found;
}

export function findWorkspaceRoot(start: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && 'workspaces' in (JSON.parse(readFileSync(manifest, 'utf8')) as object)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json with workspaces above ${start}`);
  }
}

/** Every package the root package.json's workspaces name (folder globs of the form `<dir>/*`). */
export function readWorkspace(root: string): WorkspacePackage[] {
  const { workspaces } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const packages: WorkspacePackage[] = [];
  for (const pattern of workspaces) {
    const parent = pattern.replace(/\/\*$/, '');
    for (const name of readdirSync(path.join(root, parent)).sort()) {
      const manifestFile = path.join(root, parent, name, 'package.json');
      if (!existsSync(manifestFile)) continue;
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
      packages.push({ name: manifest.name, dir: `${parent}/${name}`, manifest });
    }
  }
  return packages;
}

function walk(root: string, relative: string, into: string[]): string[] {
  for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const child = `${relative}/${entry.name}`;
    if (entry.isDirectory()) walk(root, child, into);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) into.push(child);
  }
  return into;
}

export function isProductionPath(relative: string): boolean {
  return !relative.endsWith('.test.ts') && !/\/testing\//.test(relative);
}

export function readSources(root: string, packages: readonly WorkspacePackage[]): SourceFile[] {
  return packages.flatMap((pkg) =>
    walk(root, `${pkg.dir}/src`, []).map((file) => ({
      package: pkg.name,
      path: file,
      production: isProductionPath(file.slice(pkg.dir.length)),
      specifiers: specifiersIn(readFileSync(path.join(root, file), 'utf8')),
    })),
  );
}

/** The root-level test/ and bench/ code: not packages, but it too reaches packages through their entries only. */
export function readRootSources(root: string, folders: readonly string[] = ['test', 'bench']): SourceFile[] {
  return folders
    .filter((folder) => existsSync(path.join(root, folder)))
    .flatMap((folder) => walk(root, folder, []).map((file) => ({ package: `(root ${folder}/)`, path: file, production: false, specifiers: specifiersIn(readFileSync(path.join(root, file), 'utf8')) })));
}

export function readLayering(root: string): Layering {
  return JSON.parse(readFileSync(path.join(root, 'architecture', 'layers.json'), 'utf8')) as Layering;
}

/** `@atelier/diffusion/testing` → `@atelier/diffusion`; undefined for anything else. */
export function workspaceTarget(specifier: string): string | undefined {
  return /^(@atelier\/[^/]+)/.exec(specifier)?.[1];
}

/** Production edges between packages: importer → imported (each once). */
export function productionGraph(sources: readonly SourceFile[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources) {
    if (!graph.has(file.package)) graph.set(file.package, new Set());
    if (!file.production) continue;
    for (const specifier of file.specifiers) {
      const target = workspaceTarget(specifier);
      if (target && target !== file.package) graph.get(file.package)?.add(target);
    }
  }
  return graph;
}

/** (a) Imports of a workspace package the importer's package.json does not declare (tests may use devDependencies). */
export function undeclaredImports(packages: readonly WorkspacePackage[], sources: readonly SourceFile[]): string[] {
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg.manifest]));
  const problems: string[] = [];
  for (const file of sources) {
    const manifest = byName.get(file.package);
    const declared = new Set(Object.keys(manifest?.dependencies ?? {}));
    if (!file.production) for (const name of Object.keys(manifest?.devDependencies ?? {})) declared.add(name);
    for (const specifier of file.specifiers) {
      const target = workspaceTarget(specifier);
      if (!target || target === file.package || declared.has(target)) continue;
      problems.push(`${file.path} imports ${specifier}, but ${file.package} declares no ${file.production ? 'dependency' : 'dependency or devDependency'} on ${target}`);
    }
  }
  return problems;
}

/** (b) Every cycle among the production edges, as `a → b → a`. */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].join(' → '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

/** (c) Edges from a lower layer to a higher one, and packages no layer names. */
export function layerViolations(layering: Layering, graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const rank = new Map<string, number>();
  layering.layers.forEach((layer, index) => layer.packages.forEach((name) => rank.set(name, index)));
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    const fromRank = rank.get(from);
    if (fromRank === undefined) {
      problems.push(`${from} is in no layer of architecture/layers.json`);
      continue;
    }
    for (const to of targets) {
      const toRank = rank.get(to);
      if (toRank === undefined) problems.push(`${from} imports ${to}, which is in no layer`);
      else if (toRank > fromRank) problems.push(`${from} (${layering.layers[fromRank].name}) imports ${to} (${layering.layers[toRank].name}): an upward edge`);
    }
  }
  return problems;
}

/** (d) Production modules importing a ./testing entry or a test-only package. */
export function testingImports(layering: Layering, sources: readonly SourceFile[]): string[] {
  const testOnly = new Set(layering.testOnly);
  return sources
    .filter((file) => file.production && !testOnly.has(file.package))
    .flatMap((file) =>
      file.specifiers
        .filter((specifier) => /^@atelier\/[^/]+\/testing$/.test(specifier) || testOnly.has(specifier))
        .map((specifier) => `${file.path} (production) imports ${specifier}`),
    );
}

/** (e) `#libs/` specifiers, deep `@atelier/<x>/<path>` ones, and relative paths that leave the package. */
export function deepImports(packages: readonly WorkspacePackage[], sources: readonly SourceFile[]): string[] {
  const dirs = new Map(packages.map((pkg) => [pkg.name, pkg.dir]));
  const ownDir = (file: SourceFile) => dirs.get(file.package) ?? file.path.split('/')[0];
  const problems: string[] = [];
  for (const file of sources) {
    const own = ownDir(file);
    for (const specifier of file.specifiers) {
      if (specifier.startsWith('#libs/')) problems.push(`${file.path} imports ${specifier} (the #libs map is gone)`);
      else if (/^@atelier\/[^/]+\/(?!testing$)/.test(specifier)) problems.push(`${file.path} imports ${specifier}, inside another package`);
      else if (specifier.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
        if (!target.startsWith(`${own}/`)) problems.push(`${file.path} imports ${specifier}, which leaves ${own}`);
      }
    }
  }
  return problems;
}

/**
 * (f) Each package's production TypeScript project (tsconfig.json) references exactly the
 * production projects of the workspace packages its package.json depends on, so `tsc -b` builds
 * them first and rebuilds the package when they change. (tsc itself would not complain: it reaches
 * an unreferenced package's sources through node_modules and compiles them as a library's.)
 */
export function referenceMismatches(packages: readonly WorkspacePackage[], references: ReadonlyMap<string, readonly string[]>): string[] {
  const byDir = new Map(packages.map((pkg) => [pkg.dir, pkg.name]));
  const problems: string[] = [];
  for (const pkg of packages) {
    const referenced = new Set<string>();
    for (const reference of references.get(pkg.name) ?? []) {
      const target = path.posix.normalize(path.posix.join(pkg.dir, reference));
      const dir = target.replace(/\/tsconfig(\.[\w-]+)?\.json$/, '');
      const name = byDir.get(dir);
      if (!name) problems.push(`${pkg.dir}/tsconfig.json references ${reference}, which is no workspace package`);
      else if (target !== `${dir}/tsconfig.json`) problems.push(`${pkg.dir}/tsconfig.json references ${reference}, not a production project`);
      else referenced.add(name);
    }
    const declared = Object.keys(pkg.manifest.dependencies ?? {}).filter((name) => name.startsWith('@atelier/'));
    for (const name of declared) if (!referenced.has(name)) problems.push(`${pkg.dir}/tsconfig.json does not reference ${name}, a dependency in its package.json`);
    for (const name of referenced) if (!declared.includes(name)) problems.push(`${pkg.dir}/tsconfig.json references ${name}, which its package.json does not depend on`);
  }
  return problems;
}

/** The `references` paths of each package's production tsconfig.json. */
export function readProductionReferences(root: string, packages: readonly WorkspacePackage[]): Map<string, string[]> {
  return new Map(
    packages.map((pkg) => {
      const config = JSON.parse(readFileSync(path.join(root, pkg.dir, 'tsconfig.json'), 'utf8')) as { references?: { path: string }[] };
      return [pkg.name, (config.references ?? []).map((reference) => reference.path)];
    }),
  );
}

/** The production graph as a table: package, layer, what it depends on. */
export function graphTable(layering: Layering, graph: ReadonlyMap<string, ReadonlySet<string>>): string {
  const layerOf = new Map<string, string>();
  for (const layer of layering.layers) for (const name of layer.packages) layerOf.set(name, layer.name);
  const rows = [...graph].map(([name, targets]) => [name, layerOf.get(name) ?? '?', [...targets].sort().map((t) => t.replace('@atelier/', '')).join(', ') || '—']);
  const order = (name: string) => layering.layers.findIndex((layer) => layer.packages.includes(name));
  rows.sort((a, b) => order(a[0]) - order(b[0]) || a[0].localeCompare(b[0]));
  const header = ['package', 'layer', 'depends on (production)'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}
