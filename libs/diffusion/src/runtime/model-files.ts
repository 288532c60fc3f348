import { stat } from 'node:fs/promises';
import path from 'node:path';

/** External data file names that exporters write beside model.onnx. */
const EXTERNAL_DATA_NAMES = ['model.onnx_data', 'model.onnx.data', 'weights.pb'];

/** The external data files present beside a model file. */
export async function externalDataFiles(modelPath: string): Promise<string[]> {
  const dir = path.dirname(modelPath);
  const found = await Promise.all(
    EXTERNAL_DATA_NAMES.map(async (name) => {
      const file = path.join(dir, name);
      return (await stat(file).then((info) => info.isFile(), () => false)) ? file : undefined;
    }),
  );
  return found.filter((file): file is string => file !== undefined);
}

/** model.onnx plus its external data files: the weights a session loaded from it holds. */
export async function componentBytes(modelPath: string): Promise<number> {
  const files = [modelPath, ...(await externalDataFiles(modelPath))];
  const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
  return sizes.reduce((total, size) => total + size, 0);
}
