// Merging LoRAs into one component's weights: W' = W + Σ weight · (alpha / rank) · up · down.
// Deltas of every LoRA are summed in float32 first and added to the base once, so a float16
// export is rounded a single time. A LoRA at weight 0 contributes nothing and is not read at all,
// which keeps "weight 0" equal to the base bit for bit.
import { tensorToFloat32, type SafetensorsFile, type TensorEntry } from '@atelier/model-formats';
import type { LoraComponent } from './key-mapping/components.js';
import { parseLoraKey, type LoraKey } from './key-mapping/lora-keys.js';
import { LoraModuleResolver } from './key-mapping/module-resolver.js';
import { addLoraDelta, loraDimensions, LoraShapeError, type LoraMatrix } from './lora-delta.js';
import type { ModelGraph, WeightSlot } from './model-graph.js';
import { elementCount } from './onnx-model.js';

export interface LoraSource {
  readonly name: string;
  readonly file: SafetensorsFile;
  readonly weight: number;
}

export interface LoraTarget {
  readonly component: LoraComponent;
  readonly graph: ModelGraph;
}

export interface LoraReport {
  /** LoRA modules merged (summed over LoRAs). */
  applied: number;
  /** Up to `exampleLimit` "lora-name: key (reason)" entries that were not merged. */
  unmatched: string[];
  /** LoRA modules (a down/up/alpha group) that matched no weight or could not merge, plus unknown keys. */
  unmatchedCount: number;
  /** Keys addressed to another component (e.g. the text encoder while merging the UNet). */
  otherComponentKeys: number;
}

export interface LoraMergePlan {
  /** New values of every touched initializer, in its stored layout (float32; fp16 exports round on write). */
  readonly updates: Map<string, Float32Array>;
  readonly report: LoraReport;
}

export interface LoraMergeOptions {
  readonly layersPerBlock?: number;
  readonly exampleLimit?: number;
}

interface ModuleTensors {
  up?: TensorEntry;
  down?: TensorEntry;
  alpha?: TensorEntry;
  keys: string[];
  unsupported: string[];
}

export async function planLoraMerge(target: LoraTarget, loras: readonly LoraSource[], options: LoraMergeOptions = {}): Promise<LoraMergePlan> {
  const resolver = new LoraModuleResolver(target.graph, target.component, options.layersPerBlock);
  const report = new ReportBuilder(options.exampleLimit ?? 20);
  const deltas = new Map<string, Float32Array>();

  for (const lora of loras) {
    if (!Number.isFinite(lora.weight)) throw new Error(`LoRA ${lora.name}: weight ${lora.weight} is not a finite number`);
    for (const [module, tensors] of groupModules(lora, target.component, report)) {
      const problem = checkModule(tensors);
      const slot = problem === undefined ? resolver.slot(module) : undefined;
      if (problem !== undefined || slot === undefined) {
        report.unmatched(lora.name, tensors.keys[0], problem ?? 'no weight in the model');
        continue;
      }
      if ((target.graph.consumers.get(slot.initializer)?.size ?? 0) > 1) {
        report.unmatched(lora.name, tensors.keys[0], `weight ${slot.initializer} is shared by several modules`);
        continue;
      }
      try {
        // Shapes are checked even at weight 0, so a LoRA that cannot fit is reported either way.
        if (lora.weight === 0) loraDimensions(matrix(tensors.up), matrix(tensors.down), slot);
        else {
          await addModule(deltas, slot, tensors, lora.weight);
          report.applied++;
        }
      } catch (error) {
        if (!(error instanceof LoraShapeError)) throw error;
        report.unmatched(lora.name, tensors.keys[0], error.message);
      }
    }
  }

  const updates = new Map<string, Float32Array>();
  for (const [initializer, delta] of deltas) {
    const merged = await target.graph.model.readFloat32(initializer);
    for (let i = 0; i < merged.length; i++) merged[i] += delta[i];
    updates.set(initializer, merged);
  }
  return { updates, report: report.result() };
}

function groupModules(lora: LoraSource, component: LoraComponent, report: ReportBuilder): Map<LoraKey, ModuleTensors> {
  const byModule = new Map<string, { key: LoraKey; tensors: ModuleTensors }>();
  for (const [name, entry] of lora.file.tensors) {
    const key = parseLoraKey(name);
    if (key === undefined) {
      report.unmatched(lora.name, name, 'not a LoRA key this library knows');
      continue;
    }
    if (key.component !== component) {
      report.otherComponentKeys++;
      continue;
    }
    const id = `${key.flat ? 'flat' : 'dotted'}:${key.module}`;
    let group = byModule.get(id);
    if (group === undefined) byModule.set(id, (group = { key, tensors: { keys: [], unsupported: [] } }));
    group.tensors.keys.push(name);
    if (key.part === 'unsupported') group.tensors.unsupported.push(name);
    else group.tensors[key.part] = entry;
  }
  return new Map([...byModule.values()].map(({ key, tensors }) => [key, tensors]));
}

function checkModule(tensors: ModuleTensors): string | undefined {
  if (tensors.unsupported.length > 0) return `unsupported LoRA tensor ${tensors.unsupported[0]} (LoHa, LoKr, DoRA and Tucker LoCon are not merged)`;
  if (tensors.up === undefined || tensors.down === undefined) return 'needs both an up and a down tensor';
  return undefined;
}

/** Shape only: values are decoded when the module is actually merged. */
function matrix(entry: TensorEntry | undefined): LoraMatrix {
  if (entry === undefined) throw new Error('LoRA module without up or down tensor');
  return { shape: entry.shape, values: new Float32Array(0) };
}

async function addModule(deltas: Map<string, Float32Array>, slot: WeightSlot, tensors: ModuleTensors, weight: number): Promise<void> {
  const { up, down } = tensors;
  if (up === undefined || down === undefined) throw new Error('LoRA module without up or down tensor');
  const rank = down.shape[0];
  // Without an alpha the LoRA was trained with alpha = rank, a scale of 1.
  const alpha = tensors.alpha !== undefined ? tensorToFloat32(tensors.alpha)[0] : rank;
  // Checked before the delta exists, so a misfit leaves no all-zero update behind.
  loraDimensions(matrix(up), matrix(down), slot);
  let delta = deltas.get(slot.initializer);
  if (delta === undefined) deltas.set(slot.initializer, (delta = new Float32Array(elementCount(slot.dims))));
  await addLoraDelta(
    delta,
    { shape: up.shape, values: tensorToFloat32(up) },
    { shape: down.shape, values: tensorToFloat32(down) },
    slot,
    (weight * alpha) / rank,
  );
}

class ReportBuilder {
  applied = 0;
  otherComponentKeys = 0;
  private count = 0;
  private readonly examples: string[] = [];

  constructor(private readonly limit: number) {}

  unmatched(lora: string, key: string, reason: string): void {
    this.count++;
    if (this.examples.length < this.limit) this.examples.push(`${lora}: ${key} (${reason})`);
  }

  result(): LoraReport {
    return { applied: this.applied, unmatched: this.examples, unmatchedCount: this.count, otherComponentKeys: this.otherComponentKeys };
  }
}
