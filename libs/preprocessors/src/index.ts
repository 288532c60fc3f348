export { PreprocessError, type PreprocessErrorCode } from './errors.js';
export { preprocess, type ControlMap, type ControlMapMetadata } from './preprocess.js';
export { PreprocessorModels, type PreprocessorFolders } from './preprocessor-models.js';
export type { OpenSession } from './onnx/model-session.js';
export {
  PREPROCESSOR_KINDS,
  preprocessOptionsSchema,
  parsePreprocessKind,
  parsePreprocessOptions,
  type PreprocessorKind,
  type PreprocessOptions,
  type PreprocessOptionsInput,
} from './preprocess-options.js';
export { decodeControlImage, toPixelImage, type ControlSource } from './control-image.js';
export { pixelImage, hwc3, fromRgbImage, toRgbImage, toGrey, type PixelImage } from './image/pixel-image.js';
export { gaussianBlur } from './image/gaussian-blur.js';
export { cvResize, type CvInterpolation } from './image/cv-resize.js';
export { pilLanczosResize, pilBilinearResize } from './image/pil-resize.js';
export { openModelSession, pickOutput, floatOutput, type ModelSession } from './onnx/model-session.js';
export { annotatorSize, resizeForAnnotator } from './image/resize-image.js';
export { canny, type CannyOptions } from './canny/canny.js';
export { DepthEstimator } from './depth/depth-estimator.js';
export { depthAnythingSize, type DepthFamily } from './depth/depth-input.js';
export { SoftedgeDetector, type SoftedgeFamily, type SoftedgeOptions } from './softedge/softedge-detector.js';
export { DwposeEstimator, DETECTOR_FILES, POSE_FILES } from './openpose/dwpose-estimator.js';
export { drawBodies, BODY_COLOURS, BODY_LIMBS, STICK_WIDTH, KEYPOINT_RADIUS, FACE_RADIUS, type BodyKeypoints, type FaceLandmarks } from './openpose/body-pose.js';
export { decodeSimcc, type SimccKeypoint } from './openpose/simcc.js';
