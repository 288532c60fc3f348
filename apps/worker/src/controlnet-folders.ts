import { PREPROCESSOR_MODEL_FOLDER, type ControlNetPreprocessor } from '@atelier/contracts';
import type { PreprocessorFolders } from '@atelier/preprocessors';
import type { LocatedOnnxModel, OnnxModelKind } from '@atelier/registry';

/** Finds an ONNX model for a job of `tenant` (ModelService.locateOnnx: own private, public, MODELS_DIR). */
export type OnnxLocator = (kind: OnnxModelKind, name: string, tenant: string) => Promise<LocatedOnnxModel | undefined>;

/** Where a job's ControlNets and preprocessor models are, as its tenant may use them. */
export interface ControlNetFolders {
  /** The folder of ControlNet `name` (model.onnx + config.json), or undefined. */
  find(name: string, tenant: string): Promise<string | undefined>;
  /** Preprocessor model folders for the preprocessors `units` use (depth, softedge, openpose). */
  preprocessors(preprocessors: readonly ControlNetPreprocessor[], tenant: string): Promise<PreprocessorFolders>;
}

/**
 * ControlNets and preprocessor models through the registry lookup: kind `controlnet` by the
 * unit's model name, kind `preprocessor` by the folder name its preprocessor needs (`depth`,
 * `softedge`, `openpose`), each the tenant's private model first, then public, then MODELS_DIR.
 * The heartbeat announces them all under `onnx_models`.
 */
export class RegistryControlNets implements ControlNetFolders {
  constructor(private readonly locate: OnnxLocator) {}

  async find(name: string, tenant: string): Promise<string | undefined> {
    return (await this.locate('controlnet', name, tenant))?.dir;
  }

  async preprocessors(preprocessors: readonly ControlNetPreprocessor[], tenant: string): Promise<PreprocessorFolders> {
    const folders: { -readonly [K in keyof PreprocessorFolders]: string } = {};
    for (const folder of new Set(preprocessors.flatMap((preprocessor) => PREPROCESSOR_MODEL_FOLDER[preprocessor] ?? []))) {
      const located = await this.locate('preprocessor', folder, tenant);
      if (located) folders[folder] = located.dir;
    }
    return folders;
  }
}
