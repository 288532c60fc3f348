import type { PixelImage } from '../image/pixel-image.js';
import { floatResize } from '../image/float-resize.js';

export type DepthFamily = 'depth-anything' | 'midas';

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** numpy's round, half to even, as Depth Anything's constrain_to_multiple_of uses it. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  return value - floor === 0.5 ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(value);
}

/**
 * Depth Anything's Resize(518, 518, keep_aspect_ratio, ensure_multiple_of=14, "lower_bound"): the
 * image scaled so both sides reach 518, each side then a multiple of 14 (rounded, or up when
 * rounding would fall below 518).
 */
export function depthAnythingSize(width: number, height: number, target = 518, multiple = 14): { width: number; height: number } {
  const scale = Math.max(target / width, target / height);
  const constrain = (x: number): number => {
    const rounded = roundHalfEven(x / multiple) * multiple;
    return rounded < target ? Math.ceil(x / multiple) * multiple : rounded;
  };
  return { width: constrain(scale * width), height: constrain(scale * height) };
}

/**
 * The model input, NCHW float32. Depth Anything: RGB / 255, bicubic (cv2, float) to its size,
 * ImageNet mean/std. MiDaS (controlnet_aux's dpt_hybrid): RGB / 127.5 - 1 at the detect size.
 * A model with a fixed input size gets exactly that size.
 */
export function depthInput(image: PixelImage, family: DepthFamily, fixed: { width: number; height: number } | null): { data: Float32Array; width: number; height: number } {
  const floats = { width: image.width, height: image.height, channels: 3, data: new Float32Array(image.data.length) };
  for (let i = 0; i < image.data.length; i++) floats.data[i] = family === 'midas' ? image.data[i] / 127.5 - 1 : image.data[i] / 255;
  const size = fixed ?? (family === 'midas' ? { width: image.width, height: image.height } : depthAnythingSize(image.width, image.height));
  const resized = floatResize(floats, size.width, size.height, 'cubic');
  const plane = size.width * size.height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const value = resized.data[i * 3 + c];
      data[c * plane + i] = family === 'midas' ? value : (value - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
    }
  }
  return { data, width: size.width, height: size.height };
}
