import { openModelSession, PreprocessError, type ModelSession } from '@atelier/preprocessors';
import * as ort from 'onnxruntime-node';
import { SegmentationError } from './errors.js';

/** Opens a SAM ONNX file with the preprocessors' session helper, reporting failures as ours. */
export async function openSamSession(file: string, field: string, preferredInputs: readonly string[]): Promise<ModelSession> {
  try {
    return await openModelSession(file, field, preferredInputs);
  } catch (error) {
    if (error instanceof PreprocessError) {
      const code = error.code === 'missing_preprocessor_model' ? 'missing_segmentation_model' : 'invalid_segmentation_model';
      throw new SegmentationError(code, field, error.message);
    }
    throw error;
  }
}

/** The element type a session declares for one of its inputs (float32 when undeclared). */
export function inputType(session: ort.InferenceSession, name: string): ort.Tensor.Type {
  const metadata = session.inputMetadata.find((entry) => entry.name === name);
  return metadata?.isTensor ? metadata.type : 'float32';
}

/** Numbers as a tensor of the element type the session declares (SAM exports differ: float or int64 labels). */
export function numericTensor(type: ort.Tensor.Type, values: ArrayLike<number>, dims: readonly number[], field: string): ort.Tensor {
  switch (type) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(values), dims);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(Array.from(values, (value) => BigInt(Math.round(value)))), dims);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(values), dims);
    default:
      throw new SegmentationError('invalid_segmentation_model', field, `input of type ${type} is not supported`);
  }
}

/** A float32 output's values and dims, or a model error naming the field. */
export function floatOutputOf(outputs: ort.InferenceSession.OnnxValueMapType, name: string, field: string): { data: Float32Array; dims: readonly number[] } {
  const value = outputs[name];
  if (!(value instanceof ort.Tensor) || value.type !== 'float32') {
    throw new SegmentationError('invalid_segmentation_model', field, `output ${name} is missing or not a float32 tensor`);
  }
  return { data: value.data as Float32Array, dims: value.dims };
}
