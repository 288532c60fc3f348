// Finds the weight a LoRA module name points at in one component's graph, whichever naming the
// file used: dotted or kohya-flattened, diffusers or (UNet only) original LDM block names.
import { ldmUnetToDiffusers } from './ldm-unet.js';
import type { LoraComponent } from './components.js';
import type { LoraKey } from './lora-keys.js';
import type { ModelGraph, WeightSlot } from '../model-graph.js';

export class LoraModuleResolver {
  private readonly flat = new Map<string, string>();

  constructor(
    readonly graph: ModelGraph,
    readonly component: LoraComponent,
    private readonly layersPerBlock = 2,
  ) {
    for (const module of graph.modules.keys()) this.flat.set(module.replaceAll('.', '_'), module);
  }

  /** The diffusers module path a key names in this graph, or undefined. */
  module(key: LoraKey): string | undefined {
    if (key.component !== this.component) return undefined;
    const separator = key.flat ? '_' : '.';
    const lookup = (name: string): string | undefined => (key.flat ? this.flat.get(name) : this.graph.modules.has(name) ? name : undefined);
    const direct = lookup(key.module);
    if (direct !== undefined || this.component !== 'unet') return direct;
    const diffusers = ldmUnetToDiffusers(key.module, { separator, layersPerBlock: this.layersPerBlock });
    return diffusers === undefined ? undefined : lookup(diffusers);
  }

  slot(key: LoraKey): WeightSlot | undefined {
    const module = this.module(key);
    return module === undefined ? undefined : this.graph.weightSlot(module);
  }
}
