import { access } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { PreprocessError } from '../errors.js';

/** One preprocessor ONNX session with the names and shapes its metadata declares. */
export interface ModelSession {
  readonly session: ort.InferenceSession;
  readonly inputName: string;
  /** Declared input shape; strings are dynamic dimensions. */
  readonly inputShape: readonly (number | string)[];
  readonly outputNames: readonly string[];
}

/** How a model file becomes a session: ONNX Runtime directly, or a caller's session pool. */
export type OpenSession = (file: string) => Promise<ort.InferenceSession>;

const createSession: OpenSession = (file) => ort.InferenceSession.create(file);

/**
 * Opens `file`, taking the input named like one of `preferredInputs` (else the first) and every
 * output. `field` names the request field a missing or unreadable model is reported against.
 */
export async function openModelSession(file: string, field: string, preferredInputs: readonly string[], open: OpenSession = createSession): Promise<ModelSession> {
  await access(file).catch(() => {
    throw new PreprocessError('missing_preprocessor_model', field, `no model file at ${file}`);
  });
  const session = await open(file).catch((error: Error) => {
    throw new PreprocessError('invalid_preprocessor_model', field, `${file} is not a loadable ONNX model (${error.message})`);
  });
  const inputName = preferredInputs.find((name) => session.inputNames.includes(name)) ?? session.inputNames[0];
  const metadata = session.inputMetadata.find((entry) => entry.name === inputName);
  const inputShape = metadata?.isTensor ? metadata.shape : [];
  return { session, inputName, inputShape, outputNames: session.outputNames };
}

/** The output named like one of `preferred`, else the one at `fallbackIndex` in declaration order. */
export function pickOutput(model: ModelSession, preferred: readonly string[], fallbackIndex = 0): string {
  return preferred.find((name) => model.outputNames.includes(name)) ?? model.outputNames[fallbackIndex];
}

/** A fixed spatial size declared by the model's NCHW input, when both dimensions are numbers. */
export function fixedInputSize(model: ModelSession): { width: number; height: number } | null {
  const [, , height, width] = model.inputShape;
  return typeof height === 'number' && typeof width === 'number' && height > 0 && width > 0 ? { width, height } : null;
}

export async function runSingle(model: ModelSession, input: Float32Array, dims: readonly number[]): Promise<ort.InferenceSession.OnnxValueMapType> {
  return model.session.run({ [model.inputName]: new ort.Tensor('float32', input, dims) });
}

/** A float32 output's values and dims, or a model error naming the field. */
export function floatOutput(outputs: ort.InferenceSession.OnnxValueMapType, name: string, field: string): { data: Float32Array; dims: readonly number[] } {
  const value = outputs[name];
  if (!value || !(value instanceof ort.Tensor) || value.type !== 'float32') {
    throw new PreprocessError('invalid_preprocessor_model', field, `output ${name} is not a float32 tensor`);
  }
  return { data: value.data as Float32Array, dims: value.dims };
}
