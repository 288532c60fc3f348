import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { openControlNet } from '@atelier/diffusion';
import type { PreprocessorFolders } from '@atelier/preprocessors';
import type { AnnouncedControlNet } from '@atelier/queue';

/** Where a worker finds ControlNets and preprocessor models, and what it announces of them. */
export interface ControlNetFolders {
  /** The folder of ControlNet `name` (model.onnx + config.json), or undefined. */
  find(name: string): Promise<string | undefined>;
  /** Every ControlNet this worker can load, with its base family (the heartbeat's `controlnets`). */
  announce(): Promise<AnnouncedControlNet[]>;
  /** Preprocessor model folders by kind (depth, softedge, openpose); the heartbeat announces their kinds. */
  preprocessors(): Promise<PreprocessorFolders>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const PREPROCESSOR_KINDS = ['depth', 'softedge', 'openpose'] as const;

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** MODELS_DIR/controlnets/<name>/ and MODELS_DIR/preprocessors/<kind>/, read on each call (a copied folder is served without a restart). */
export class ModelsDirControlNets implements ControlNetFolders {
  constructor(private readonly modelsDir: string) {}

  async find(name: string): Promise<string | undefined> {
    // Names come from requests: only plain folder names, never a path.
    if (!NAME.test(name)) return undefined;
    const dir = path.join(this.modelsDir, 'controlnets', name);
    return (await exists(path.join(dir, 'model.onnx'))) ? dir : undefined;
  }

  async announce(): Promise<AnnouncedControlNet[]> {
    const names = await readdir(path.join(this.modelsDir, 'controlnets')).catch(() => []);
    const announced: AnnouncedControlNet[] = [];
    for (const name of names.sort()) {
      const dir = await this.find(name);
      // A folder with an unreadable config is not offered (the worker logs nothing per beat).
      const net = dir ? await openControlNet(dir, 'controlnets', name).catch(() => undefined) : undefined;
      if (net) announced.push({ name, base: net.base, cross_attention_dim: net.crossAttentionDim ?? null });
    }
    return announced;
  }

  async preprocessors(): Promise<PreprocessorFolders> {
    const folders: { -readonly [K in keyof PreprocessorFolders]: string } = {};
    for (const kind of PREPROCESSOR_KINDS) {
      const dir = path.join(this.modelsDir, 'preprocessors', kind);
      const entries = await readdir(dir).catch(() => []);
      if (entries.some((file) => file.endsWith('.onnx'))) folders[kind] = dir;
    }
    return folders;
  }
}
