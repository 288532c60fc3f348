import { access } from 'node:fs/promises';
import path from 'node:path';
import { PreprocessError } from '../errors.js';
import type { PixelImage } from '../image/pixel-image.js';
import { fixedInputSize, floatOutput, openModelSession, pickOutput, runSingle, type ModelSession, type OpenSession } from '../onnx/model-session.js';
import { drawBodies, type BodyKeypoints, type FaceLandmarks } from './body-pose.js';
import { decodeSimcc } from './simcc.js';
import { fromCrop, poseCrop, poseInput } from './top-down-affine.js';
import { decodePersons, yoloxInput, type Box } from './yolox.js';
import { toFaceLandmarks, toOpenposeBody, type ScoredPoint } from './wholebody.js';

/** File names accepted for the two models of an openpose folder, first match wins. */
export const DETECTOR_FILES = ['yolox_l.onnx', 'detector.onnx'];
export const POSE_FILES = ['dw-ll_ucoco_384.onnx', 'pose.onnx'];

/**
 * DWPose as ControlNet's ONNX annotator runs it: YOLOX finds people (class 0), each box is cropped
 * (padding 1.25, the pose model's aspect ratio) into `dw-ll_ucoco_384` (input [1,3,384,288]),
 * whose SimCC outputs `simcc_x` [1,133,576] and `simcc_y` [1,133,768] decode into 133 keypoints;
 * the body is drawn in OpenPose's colours. With no person found the whole image is one crop.
 */
export class DwposeEstimator {
  private constructor(
    private readonly detector: ModelSession,
    private readonly pose: ModelSession,
  ) {}

  static async open(folder: string, field = 'models.openpose', openSession?: OpenSession): Promise<DwposeEstimator> {
    const detector = await openModelSession(await firstExisting(folder, DETECTOR_FILES, field), field, ['images', 'input'], openSession);
    const pose = await openModelSession(await firstExisting(folder, POSE_FILES, field), field, ['input'], openSession);
    return new DwposeEstimator(detector, pose);
  }

  async people(image: PixelImage, field = 'models.openpose'): Promise<{ bodies: BodyKeypoints[]; faces: FaceLandmarks[] }> {
    const boxes = await this.detect(image, field);
    const size = fixedInputSize(this.pose) ?? { width: 288, height: 384 };
    const xName = pickOutput(this.pose, ['simcc_x'], 0);
    const yName = pickOutput(this.pose, ['simcc_y'], 1);
    const bodies: BodyKeypoints[] = [];
    const faces: FaceLandmarks[] = [];
    for (const box of boxes.length > 0 ? boxes : [{ x1: 0, y1: 0, x2: image.width, y2: image.height }]) {
      const crop = poseCrop(box, size.width, size.height);
      const outputs = await runSingle(this.pose, poseInput(image, crop, size.width, size.height), [1, 3, size.height, size.width]);
      const simccX = floatOutput(outputs, xName, field);
      const simccY = floatOutput(outputs, yName, field);
      const keypoints = simccX.dims[1];
      if (keypoints < 91 || simccY.dims[1] !== keypoints) throw new PreprocessError('invalid_preprocessor_model', field, `pose outputs have shapes [${simccX.dims.join(', ')}] and [${simccY.dims.join(', ')}]`);
      const points: ScoredPoint[] = decodeSimcc(simccX.data, simccY.data, keypoints).map((k) => ({ ...fromCrop(k.x, k.y, crop, size.width, size.height), score: k.score }));
      bodies.push(toOpenposeBody(points, image.width, image.height));
      faces.push(toFaceLandmarks(points, image.width, image.height));
    }
    return { bodies, faces };
  }

  /** The OpenPose-style map at the image's size: bodies, and face landmarks with `includeFace`. */
  async draw(image: PixelImage, includeFace: boolean, field = 'models.openpose'): Promise<{ map: PixelImage; people: BodyKeypoints[]; faces: FaceLandmarks[] }> {
    const { bodies, faces } = await this.people(image, field);
    return { map: drawBodies(bodies, image.width, image.height, includeFace ? faces : []), people: bodies, faces };
  }

  private async detect(image: PixelImage, field: string): Promise<Box[]> {
    const size = fixedInputSize(this.detector) ?? { width: 640, height: 640 };
    const { data, ratio } = yoloxInput(image, size.width, size.height);
    const outputs = await runSingle(this.detector, data, [1, 3, size.height, size.width]);
    const raw = floatOutput(outputs, this.detector.outputNames[0], field);
    const [, anchors, values] = raw.dims;
    if (raw.dims.length !== 3 || values < 6) throw new PreprocessError('invalid_preprocessor_model', field, `detector output has shape [${raw.dims.join(', ')}]`);
    return decodePersons(raw.data, anchors, values, size.width, size.height, ratio);
  }
}

async function firstExisting(folder: string, names: readonly string[], field: string): Promise<string> {
  for (const name of names) {
    const file = path.join(folder, name);
    if (await access(file).then(() => true, () => false)) return file;
  }
  throw new PreprocessError('missing_preprocessor_model', field, `${folder} has none of ${names.join(', ')}`);
}
