// Planning a refit: each checkpoint tensor → (component, initializer), arranged into the stored
// layout and checked against the initializer's shape. Values are produced lazily, one tensor at
// a time while the new model is written, so a refit never holds a second copy of the checkpoint.
import { tensorToFloat32, type SafetensorsFile, type TensorEntry } from '@atelier/model-formats';
import type { CheckpointTarget, ComponentName, SourceTransform } from './key-mapping/components.js';
import { mapCheckpointKey, type CheckpointMappingOptions } from './key-mapping/ldm-checkpoint.js';
import type { InitializerUpdate, InitializerUpdates } from './initializer-update.js';
import type { ModelGraph, ParameterTarget } from './model-graph.js';
import { elementCount } from './onnx-model.js';

export interface RefitAssignment {
  readonly key: string;
  readonly parameter: string;
  readonly initializer: string;
  produce(): Float32Array;
}

export interface RefitPlan {
  readonly assignments: ReadonlyMap<ComponentName, ReadonlyMap<string, RefitAssignment>>;
  /** Checkpoint tensors that fed no initializer (unknown names, or components the export lacks). */
  readonly unmapped: readonly string[];
  /** Training state and buffers (EMA copies, schedules, position_ids) that have no place in an export. */
  readonly ignored: readonly string[];
  /** "key → initializer: why" for tensors whose shape does not fit. */
  readonly mismatched: readonly string[];
}

export function planRefit(
  checkpoint: SafetensorsFile,
  graphs: ReadonlyMap<ComponentName, ModelGraph>,
  options: CheckpointMappingOptions = {},
): RefitPlan {
  const assignments = new Map<ComponentName, Map<string, RefitAssignment>>();
  const unmapped: string[] = [];
  const ignored: string[] = [];
  const mismatched: string[] = [];

  for (const [key, entry] of checkpoint.tensors) {
    const mapping = mapCheckpointKey(key, options);
    if (mapping.kind === 'ignored') {
      ignored.push(key);
      continue;
    }
    if (mapping.kind === 'unknown') {
      unmapped.push(key);
      continue;
    }
    let fed = false;
    for (const target of mapping.targets) {
      const graph = graphs.get(target.component);
      if (graph === undefined) continue;
      const dims = transformedDims(entry.shape, target.transform);
      const found = dims === undefined ? undefined : graph.resolveParameter(target.parameter, elementCount(dims));
      if (dims === undefined || found === undefined) continue;
      const problem = shapeProblem(dims, found);
      const perComponent = assignments.get(target.component) ?? new Map<string, RefitAssignment>();
      assignments.set(target.component, perComponent);
      const earlier = perComponent.get(found.initializer);
      if (problem !== undefined || earlier !== undefined) {
        mismatched.push(`${key} → ${target.component}/${found.initializer}: ${problem ?? `already set from ${earlier?.key}`}`);
        fed = true;
        continue;
      }
      perComponent.set(found.initializer, assignment(key, entry, target, found));
      fed = true;
    }
    if (!fed) unmapped.push(key);
  }
  return { assignments, unmapped, ignored, mismatched };
}

function assignment(key: string, entry: TensorEntry, target: CheckpointTarget, found: ParameterTarget): RefitAssignment {
  return {
    key,
    parameter: target.parameter,
    initializer: found.initializer,
    produce: () => {
      const dims = transformedDims(entry.shape, target.transform) ?? [];
      const values = applyTransform(tensorToFloat32(entry), entry.shape, target.transform);
      return found.transpose ? transpose2d(values, dims[0], values.length / dims[0]) : values;
    },
  };
}

/** The parameter's dims once the checkpoint-side transform is applied; undefined if it cannot be. */
function transformedDims(shape: readonly number[], transform: SourceTransform): number[] | undefined {
  switch (transform.kind) {
    case 'none':
      return [...shape];
    case 'transpose':
      return shape.length === 2 ? [shape[1], shape[0]] : undefined;
    case 'rows':
      return shape.length >= 1 && shape[0] % transform.of === 0 ? [shape[0] / transform.of, ...shape.slice(1)] : undefined;
  }
}

function applyTransform(values: Float32Array, shape: readonly number[], transform: SourceTransform): Float32Array {
  switch (transform.kind) {
    case 'none':
      return values;
    case 'transpose':
      return transpose2d(values, shape[0], shape[1]);
    case 'rows': {
      const size = values.length / transform.of;
      return values.slice(transform.part * size, (transform.part + 1) * size);
    }
  }
}

function transpose2d(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c];
  return out;
}

const squeeze = (dims: readonly number[]): number[] => dims.filter((dim) => dim !== 1);
const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((dim, i) => dim === b[i]);

/** Only singleton axes may differ (LDM's 1×1 attention convolutions vs Linear); a transposed store must be [in, out]. */
function shapeProblem(dims: readonly number[], found: ParameterTarget): string | undefined {
  const expected = found.transpose ? [elementCount(dims.slice(1)), dims[0]] : dims;
  if (same(squeeze(expected), squeeze(found.dims))) return undefined;
  return `checkpoint shape [${dims.join(', ')}]${found.transpose ? ' (stored transposed)' : ''} does not fit [${found.dims.join(', ')}]`;
}

/** The assignments of one component as the lazy update source writeModel consumes. */
export function refitUpdates(assignments: ReadonlyMap<string, RefitAssignment>): InitializerUpdates {
  return {
    has: (name) => assignments.has(name),
    keys: () => assignments.keys(),
    get: (name): InitializerUpdate | undefined => assignments.get(name)?.produce(),
  };
}
