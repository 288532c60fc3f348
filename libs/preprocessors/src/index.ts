export { PreprocessError, type PreprocessErrorCode } from './errors.js';
export { pixelImage, hwc3, fromRgbImage, toRgbImage, toGrey, type PixelImage } from './image/pixel-image.js';
export { gaussianBlur } from './image/gaussian-blur.js';
export { canny, type CannyOptions } from './canny/canny.js';
