import { cvResize, pixelImage } from '@atelier/preprocessors';
import type * as ort from 'onnxruntime-node';
import { FaceRestoreError } from '../errors.js';
import { openSession, readFloat, tensorMetadata, floatInput, disposeAll, type FaceModelOptions } from '../onnx/model-session.js';
import { rgbBytes, type PixelImage } from '../pixel-image.js';
import type { DetectedFace } from './detected-face.js';
import { nonMaximumSuppression } from './nms.js';
import { anchorCount, decodeScrfd, scrfdLayout, scrfdResize, type ScrfdHead } from './scrfd-decode.js';

/** insightface's input size for exports with dynamic spatial dims. */
const DEFAULT_INPUT = 640;

export interface DetectOptions {
  readonly scoreThreshold: number;
  readonly nmsThreshold: number;
}

/**
 * An SCRFD face detector as insightface ships it (`det_10g.onnx`, `det_2.5g.onnx`, `det_500m.onnx`
 * …, the `_kps` variants): one `[1,3,H,W]` input, 9 outputs (scores, boxes, landmarks for strides
 * 8/16/32, 2 anchors) or 15 (strides 8…128, 1 anchor), each `[N,k]` or batched `[1,N,k]`, in that
 * order.
 */
export class FaceDetector {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly inputType: string,
    readonly inputWidth: number,
    readonly inputHeight: number,
    private readonly strides: readonly number[],
    private readonly anchors: number,
  ) {}

  static async open(file: string, options: FaceModelOptions = {}): Promise<FaceDetector> {
    const session = await openSession(file, 'face detector', options);
    const layout = scrfdLayout(session.outputNames.length);
    const inputName = session.inputNames[0];
    const input = tensorMetadata(session.inputMetadata, inputName);
    if (!layout || !input || session.inputNames.length !== 1 || (input.type !== 'float32' && input.type !== 'float16')) {
      await session.release();
      throw new FaceRestoreError(
        'face_model_invalid',
        `${file}: expected an SCRFD detector with landmarks (one float image input, 9 or 15 outputs), got inputs ${session.inputNames.join(', ')} and ${session.outputNames.length} outputs`,
      );
    }
    const [, , height, width] = input.shape;
    const fixed = (dim: number | string | undefined): number | null => (typeof dim === 'number' && dim > 0 ? dim : null);
    return new FaceDetector(session, inputName, input.type, fixed(width) ?? DEFAULT_INPUT, fixed(height) ?? DEFAULT_INPUT, layout.strides, layout.anchors);
  }

  /** Faces in image pixels, highest score first, after NMS. */
  async detect(image: PixelImage, options: DetectOptions): Promise<DetectedFace[]> {
    const { width, height, detScale } = scrfdResize(image.width, image.height, this.inputWidth, this.inputHeight);
    const resized = cvResize(pixelImage(image.width, image.height, 3, rgbBytes(image)), Math.max(1, width), Math.max(1, height), 'linear');
    const plane = this.inputWidth * this.inputHeight;
    // Letterboxed at the top left on black, then (v − 127.5) / 128 as blobFromImage does.
    const blob = new Float32Array(3 * plane).fill(-127.5 / 128);
    for (let y = 0; y < resized.height; y++) {
      for (let x = 0; x < resized.width; x++) {
        for (let c = 0; c < 3; c++) blob[c * plane + y * this.inputWidth + x] = (resized.data[(y * resized.width + x) * 3 + c] - 127.5) / 128;
      }
    }
    const input = floatInput(this.inputType, blob, [1, 3, this.inputHeight, this.inputWidth]);
    const outputs = await this.session.run({ [this.inputName]: input }).catch((error: Error) => {
      throw new FaceRestoreError('face_model_invalid', `the face detector failed (${error.message})`);
    });
    input.dispose();
    try {
      const heads = this.heads(outputs);
      return nonMaximumSuppression(decodeScrfd(heads, this.inputWidth, this.anchors, options.scoreThreshold, detScale), options.nmsThreshold);
    } finally {
      disposeAll(outputs);
    }
  }

  private heads(outputs: ort.InferenceSession.OnnxValueMapType): ScrfdHead[] {
    const count = this.strides.length;
    const names = this.session.outputNames;
    return this.strides.map((stride, index) => {
      const anchorsHere = anchorCount(this.inputWidth, this.inputHeight, stride, this.anchors);
      const read = (name: string, width: number): Float32Array => {
        const value = readFloat(outputs[name]);
        if (!value || value.data.length !== anchorsHere * width) {
          throw new FaceRestoreError('face_model_invalid', `detector output ${name} (stride ${stride}) should hold ${anchorsHere}x${width} floats`);
        }
        return value.data;
      };
      return { stride, scores: read(names[index], 1), boxes: read(names[index + count], 4), landmarks: read(names[index + 2 * count], 10) };
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
