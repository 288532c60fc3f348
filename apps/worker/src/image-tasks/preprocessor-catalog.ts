import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DETECTOR_FILES, POSE_FILES } from '@atelier/preprocessors';

/** A preprocessor model this worker has and the preprocessors it serves. */
export interface PreprocessorModelEntry {
  readonly name: string;
  readonly kinds: readonly string[];
}

/**
 * Where a worker finds preprocessor ONNX models by name. The one seam between image tasks and the
 * model store: today a folder scan of MODELS_DIR/preprocessors, later the registry kind
 * `preprocessor` behind the same two calls.
 */
export interface PreprocessorCatalog {
  /** Every model the worker has (announced in its heartbeat, so the API routes and picks defaults). */
  list(): Promise<readonly PreprocessorModelEntry[]>;
  /** The model's folder, or undefined when this worker does not have it. */
  folder(name: string): Promise<string | undefined>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}

/**
 * What a folder's files say it is: DWPose's two ONNX files → openpose; `model.onnx` with a
 * `config.json` whose model_type is hed or pidinet → softedge and scribble; any other
 * `model.onnx` → depth (Depth Anything / MiDaS).
 */
export async function preprocessorKindsOf(folder: string): Promise<string[]> {
  const any = async (names: readonly string[]): Promise<boolean> => (await Promise.all(names.map((name) => exists(path.join(folder, name))))).some(Boolean);
  if ((await any(DETECTOR_FILES)) && (await any(POSE_FILES))) return ['openpose'];
  if (!(await exists(path.join(folder, 'model.onnx')))) return [];
  const config = await readFile(path.join(folder, 'config.json'), 'utf8').catch(() => '');
  let modelType: unknown;
  try {
    modelType = config ? (JSON.parse(config) as { model_type?: unknown }).model_type : undefined;
  } catch {
    modelType = undefined;
  }
  return modelType === 'hed' || modelType === 'pidinet' ? ['softedge', 'scribble'] : ['depth'];
}

/** `MODELS_DIR/preprocessors/<name>/`, read again on each call (folders added while running count). */
export class DirectoryPreprocessorCatalog implements PreprocessorCatalog {
  constructor(private readonly root: string) {}

  async list(): Promise<readonly PreprocessorModelEntry[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const entries = await Promise.all(
      names
        .filter((name) => NAME.test(name))
        .sort()
        .map(async (name) => ({ name, kinds: await preprocessorKindsOf(path.join(this.root, name)) })),
    );
    return entries.filter((entry) => entry.kinds.length > 0);
  }

  async folder(name: string): Promise<string | undefined> {
    if (!NAME.test(name)) return undefined;
    const folder = path.join(this.root, name);
    return (await preprocessorKindsOf(folder)).length > 0 ? folder : undefined;
  }
}
