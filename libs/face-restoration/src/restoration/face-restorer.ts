import * as ort from 'onnxruntime-node';
import { FaceRestoreError } from '../errors.js';
import { disposeAll, floatInput, openSession, readFloat, tensorMetadata, type FaceModelOptions } from '../onnx/model-session.js';

export type RestorerKind = 'codeformer' | 'gfpgan';

/** Input names restorer exports use for the aligned face and CodeFormer's fidelity. */
const FACE_INPUTS = ['input', 'x', 'image'] as const;
const FIDELITY_INPUTS = ['weight', 'w', 'fidelity'] as const;

/**
 * A face restorer on an aligned square face, RGB in [−1, 1] NCHW: CodeFormer (`input`
 * [1,3,512,512] and `weight`, the fidelity, a double [1]) or GFPGAN/GPEN-style (`input` only).
 * The kind is read from the inputs: a second (fidelity) input means CodeFormer.
 */
export class FaceRestorer {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly kind: RestorerKind,
    private readonly inputName: string,
    private readonly inputType: string,
    private readonly fidelityName: string | null,
    private readonly fidelityType: string,
    private readonly outputName: string,
    /** Side of the square aligned face (512 for GFPGAN 1.3/1.4 and CodeFormer). */
    readonly size: number,
  ) {}

  static async open(file: string, options: FaceModelOptions = {}): Promise<FaceRestorer> {
    const session = await openSession(file, 'face restorer', options);
    try {
      return FaceRestorer.fromSession(session, file);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  private static fromSession(session: ort.InferenceSession, file: string): FaceRestorer {
    const inputName = FACE_INPUTS.find((name) => session.inputNames.includes(name)) ?? session.inputNames[0];
    const fidelityName = session.inputNames.find((name) => name !== inputName && (FIDELITY_INPUTS as readonly string[]).includes(name)) ?? null;
    const input = tensorMetadata(session.inputMetadata, inputName);
    const fidelity = fidelityName ? tensorMetadata(session.inputMetadata, fidelityName) : null;
    const [, channels, height, width] = input?.shape ?? [];
    const size = typeof height === 'number' && height > 0 ? height : 512;
    const extraInputs = session.inputNames.length - 1 - (fidelityName ? 1 : 0);
    if (!input || !['float32', 'float16'].includes(input.type) || extraInputs !== 0 || (typeof width === 'number' && width > 0 && width !== size) || (typeof channels === 'number' && channels !== 3)) {
      throw new FaceRestoreError('face_model_invalid', `${file}: expected a square [1,3,N,N] float face input (${FACE_INPUTS.join(', ')}) and optionally a fidelity (${FIDELITY_INPUTS.join(', ')}), got ${session.inputNames.join(', ')}`);
    }
    const outputName = session.outputNames.includes('output') ? 'output' : session.outputNames[0];
    const outputShape = tensorMetadata(session.outputMetadata, outputName)?.shape ?? [];
    if (outputShape.length !== 0 && outputShape.length !== 4) {
      throw new FaceRestoreError('face_model_invalid', `${file}: output ${outputName} should be [1,3,${size},${size}], it is declared [${outputShape.join(',')}]`);
    }
    return new FaceRestorer(session, fidelityName ? 'codeformer' : 'gfpgan', inputName, input.type, fidelityName, fidelity?.type ?? 'float64', outputName, size);
  }

  /** Restores one aligned face (NCHW, [−1, 1]); returns the restored face in the same layout. */
  async restore(face: Float32Array, fidelity: number): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = { [this.inputName]: floatInput(this.inputType, face, [1, 3, this.size, this.size]) };
    if (this.fidelityName) {
      // CodeFormer's official export takes a double; keep the caller's value exact there.
      feeds[this.fidelityName] = this.fidelityType === 'float64' ? new ort.Tensor('float64', Float64Array.of(fidelity), [1]) : floatInput(this.fidelityType, Float32Array.of(fidelity), [1]);
    }
    const outputs = await this.session.run(feeds).catch((error: Error) => {
      throw new FaceRestoreError('face_model_invalid', `the face restorer failed (${error.message})`);
    });
    for (const tensor of Object.values(feeds)) tensor.dispose();
    try {
      const output = readFloat(outputs[this.outputName]);
      if (!output || output.data.length !== 3 * this.size * this.size) {
        throw new FaceRestoreError('face_model_invalid', `restorer output ${this.outputName} is not a float [1,3,${this.size},${this.size}] tensor`);
      }
      return output.data;
    } finally {
      disposeAll(outputs);
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
