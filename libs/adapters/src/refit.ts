// Refitting an export with a fine-tuned checkpoint: a full .safetensors with original Stable
// Diffusion names becomes a new model folder in the export's layout. Configs, tokenizer and
// scheduler are copied; every component the checkpoint covers gets a new model.onnx +
// model.onnx_data with its initializers replaced, the rest is copied as is.
import { access, cp, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { SafetensorsFile } from '@atelier/model-formats';
import { COMPONENTS, type ComponentName } from './key-mapping/components.js';
import type { CheckpointMappingOptions } from './key-mapping/ldm-checkpoint.js';
import { ModelGraph } from './model-graph.js';
import { OnnxModel } from './onnx-model.js';
import { planRefit, refitUpdates } from './refit-plan.js';
import { floatTypeName } from './tensor-data.js';
import { writeModel } from './write-model.js';

export interface RefitOptions extends CheckpointMappingOptions {
  /** Write even when some tensors do not fit (they are left out and listed); default false. */
  readonly allowMismatches?: boolean;
}

export interface ComponentRefit {
  readonly component: ComponentName;
  readonly modelPath: string;
  readonly replaced: number;
  /** Weights and biases of the export no checkpoint tensor replaced. */
  readonly untouchedParameters: readonly string[];
}

export interface RefitReport {
  readonly components: readonly ComponentRefit[];
  readonly unmapped: readonly string[];
  readonly ignored: readonly string[];
  readonly mismatched: readonly string[];
}

export class RefitError extends Error {
  constructor(readonly mismatched: readonly string[]) {
    super(`${mismatched.length} checkpoint tensors do not fit the export, e.g. ${mismatched.slice(0, 3).join('; ')}`);
    this.name = 'RefitError';
  }
}

// Files that are the weights themselves and must not be copied next to a rewritten model.
const MODEL_FILES = new Set(['model.onnx', 'model.onnx_data', 'model.onnx.data', 'weights.pb']);

export async function refitModelFolder(checkpoint: SafetensorsFile, baseDir: string, outDir: string, options: RefitOptions = {}): Promise<RefitReport> {
  const base = path.resolve(baseDir);
  const out = path.resolve(outDir);
  if (out === base || out.startsWith(base + path.sep)) throw new Error(`refit output ${out} must be outside the base model folder`);
  const existing = await readdir(out).catch(() => []);
  if (existing.length > 0) throw new Error(`refit output ${out} already exists and is not empty`);

  const graphs = new Map<ComponentName, ModelGraph>();
  for (const component of COMPONENTS) {
    const modelPath = path.join(base, component, 'model.onnx');
    if (await exists(modelPath)) graphs.set(component, new ModelGraph(await OnnxModel.load(modelPath)));
  }
  const plan = planRefit(checkpoint, graphs, options);
  if (plan.mismatched.length > 0 && options.allowMismatches !== true) throw new RefitError(plan.mismatched);

  const rewritten = new Set([...plan.assignments].filter(([, assigned]) => assigned.size > 0).map(([component]) => component));
  await mkdir(out, { recursive: true });
  await cp(base, out, {
    recursive: true,
    filter: (source) => {
      const relative = path.relative(base, source).split(path.sep);
      return !(relative.length === 2 && rewritten.has(relative[0] as ComponentName) && MODEL_FILES.has(relative[1]));
    },
  });

  const components: ComponentRefit[] = [];
  for (const component of rewritten) {
    const graph = graphs.get(component) as ModelGraph;
    const assigned = plan.assignments.get(component) ?? new Map();
    const written = await writeModel(graph.model, refitUpdates(assigned), path.join(out, component, 'model.onnx'));
    components.push({ component, modelPath: written.modelPath, replaced: assigned.size, untouchedParameters: untouched(graph, new Set(assigned.keys())) });
  }
  return { components, unmapped: plan.unmapped, ignored: plan.ignored, mismatched: plan.mismatched };
}

/** Float initializers that are weights (a weight slot or a *.weight / *.bias name) and were not replaced. */
export function untouched(graph: ModelGraph, replaced: ReadonlySet<string>): string[] {
  const weights = new Set<string>();
  for (const slots of graph.modules.values()) for (const slot of slots) weights.add(slot.initializer);
  const names: string[] = [];
  for (const info of graph.model.initializers.values()) {
    if (replaced.has(info.name) || floatTypeName(info.dataType) === undefined) continue;
    if (weights.has(info.name) || /\.(weight|bias)$/.test(info.name)) names.push(info.name);
  }
  return names;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
