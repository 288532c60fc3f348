export { UpscaleError, type UpscaleErrorCode } from './errors.js';
export { UpscalerModel, UPSCALER_INPUT_NAMES, UPSCALER_OUTPUT_NAMES, type UpscalerModelOptions } from './upscaler-model.js';
export { upscale, type UpscaleOptions } from './upscale.js';
export { upscaleOptionsSchema, parseUpscaleTiling, type UpscaleTiling, type UpscaleTilingInput } from './upscale-options.js';
export { checkPixelImage, type PixelImage } from './pixel-image.js';
export { axisTiles, featherWeights, type AxisTile } from './tile-grid.js';
export type { TileProgress } from './tiled-run.js';
