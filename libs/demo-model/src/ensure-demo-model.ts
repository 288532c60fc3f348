import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buildTrainableDemoModel } from './trainable/index.js';
import { buildDemoModel, resolveDemoModelOptions, type DemoModelOptions, type ResolvedDemoModelOptions } from './build-demo-model.js';

/** Bump whenever the builder's output changes, so cached copies are rebuilt. */
export const DEMO_BUILDER_VERSION = 1;
export const DEMO_MODEL_DIRNAME = 'demo-sd15';
export const DEMO_MARKER_FILE = 'atelier-demo.json';

interface DemoMarker {
  readonly builder: 'atelier-demo-model';
  readonly version: number;
  readonly options: ResolvedDemoModelOptions;
  readonly manifest?: Readonly<Record<string, unknown>> | null;
  readonly contentHash: string;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .filter((path) => path !== DEMO_MARKER_FILE)
    .sort();
}

/** sha256 over every file's relative path and bytes, the marker excepted. */
export async function hashDemoModelDir(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const path of await listFiles(dir)) {
    hash.update(path).update('\0');
    hash.update(createHash('sha256').update(await readFile(join(dir, path))).digest());
  }
  return hash.digest('hex');
}

async function readMarker(dir: string): Promise<DemoMarker | null> {
  try {
    return JSON.parse(await readFile(join(dir, DEMO_MARKER_FILE), 'utf8')) as DemoMarker;
  } catch {
    return null;
  }
}

async function isCurrent(dir: string, options: ResolvedDemoModelOptions, manifest: Readonly<Record<string, unknown>> | null): Promise<boolean> {
  const marker = await readMarker(dir);
  if (marker?.builder !== 'atelier-demo-model' || marker.version !== DEMO_BUILDER_VERSION) return false;
  if (JSON.stringify(marker.options) !== JSON.stringify(options)) return false;
  if (JSON.stringify(marker.manifest ?? null) !== JSON.stringify(manifest)) return false;
  return marker.contentHash === (await hashDemoModelDir(dir));
}

/**
 * `cacheDir/demo-sd15`, built only when missing, built by another builder version or options, or
 * altered since. The build happens in a sibling folder that is renamed into place, so a reader
 * never sees a half-written model.
 */
export async function ensureDemoModel(
  cacheDir: string,
  options: DemoModelOptions = {},
  entry: { readonly name: string; readonly manifest?: Readonly<Record<string, unknown>> } = { name: DEMO_MODEL_DIRNAME },
): Promise<string> {
  const resolved = resolveDemoModelOptions(options);
  const dir = join(cacheDir, entry.name);
  if (await isCurrent(dir, resolved, entry.manifest ?? null)) return dir;

  await mkdir(cacheDir, { recursive: true });
  const staging = `${dir}.building-${process.pid}-${Date.now()}`;
  try {
    await buildDemoModel(staging, options);
    if (entry.manifest) await writeFile(join(staging, 'atelier.json'), `${JSON.stringify(entry.manifest, null, 2)}\n`);
    const marker: DemoMarker = {
      builder: 'atelier-demo-model',
      version: DEMO_BUILDER_VERSION,
      options: resolved,
      manifest: entry.manifest ?? null,
      contentHash: await hashDemoModelDir(staging),
    };
    await writeFile(join(staging, DEMO_MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    try {
      await rename(staging, dir);
    } catch (error) {
      // Another process may have finished the same build between our rm and rename.
      if (await isCurrent(dir, resolved, entry.manifest ?? null)) return dir;
      throw error;
    }
    return dir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export const DEMO_REFINER_DIRNAME = 'demo-sd15-refiner';
export const DEMO_TRAINABLE_DIRNAME = 'demo-trainable';
/** The trainable twin with a pretrained residual layer: its words evoke patterns (textual inversion's base). */
export const DEMO_TRAINABLE_PRETRAINED_DIRNAME = 'demo-trainable-pretrained';

const TRAINABLE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  [DEMO_TRAINABLE_DIRNAME]: 'Built-in trainable demo model: demo pictures plus a LoRA-trainable residual layer',
  [DEMO_TRAINABLE_PRETRAINED_DIRNAME]: 'Built-in trainable demo model with a pretrained residual layer (word embeddings evoke checkerboards, stripes and ramps): the base for textual inversion',
};

/** A trainable twin (zero or pretrained residual layer), built once per cache folder. */
async function ensureTrainableDemoModel(cacheDir: string, name: string, weightTransposed?: 'pretrained'): Promise<string> {
  const dir = join(cacheDir, name);
  const marker = join(dir, DEMO_MARKER_FILE);
  // Folders built before the text encoder had one token table (which textual inversion extends) are rebuilt.
  const current = async (): Promise<boolean> => readFile(marker, 'utf8').then((text) => text.includes('"tokenTable":"single"'), () => false);
  if (await current()) return dir;
  const staging = `${dir}.building-${process.pid}-${Date.now()}`;
  try {
    await buildTrainableDemoModel(staging, { weightTransposed });
    await writeFile(join(staging, 'atelier.json'), `${JSON.stringify({ description: TRAINABLE_DESCRIPTIONS[name] }, null, 2)}\n`);
    await writeFile(join(staging, DEMO_MARKER_FILE), JSON.stringify({ builder: 'atelier-trainable-demo', version: DEMO_BUILDER_VERSION, tokenTable: 'single' }));
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir).catch(async (error: unknown) => {
      if (!(await current())) throw error;
    });
    return dir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The built-in demo models as catalog entries (id = folder name): the base model and, as its
 * configured refiner, a v-prediction twin. Both are exact denoisers of the same pictures, so a
 * base + refiner run lands on the same image while exercising the real switch-over path.
 */
export async function ensureDemoModels(cacheDir: string): Promise<{ readonly id: string; readonly dir: string }[]> {
  const base = await ensureDemoModel(cacheDir, {}, {
    name: DEMO_MODEL_DIRNAME,
    manifest: { description: 'Built-in demo model: draws the coloured shapes its prompt names (e.g. "a red circle on a blue background")', refiner: DEMO_REFINER_DIRNAME },
  });
  const refiner = await ensureDemoModel(cacheDir, { predictionType: 'v_prediction' }, {
    name: DEMO_REFINER_DIRNAME,
    manifest: { description: 'Built-in demo refiner: the v-prediction twin of demo-sd15' },
  });
  return [
    { id: DEMO_MODEL_DIRNAME, dir: base },
    { id: DEMO_REFINER_DIRNAME, dir: refiner },
    { id: DEMO_TRAINABLE_DIRNAME, dir: await ensureTrainableDemoModel(cacheDir, DEMO_TRAINABLE_DIRNAME) },
    { id: DEMO_TRAINABLE_PRETRAINED_DIRNAME, dir: await ensureTrainableDemoModel(cacheDir, DEMO_TRAINABLE_PRETRAINED_DIRNAME, 'pretrained') },
  ];
}
