// @atelier/adapters/testing: test helpers for other packages' tests. Production code never imports this entry.
export { randomWeights, saveExport } from './exporter-model.js';
export { UNET_INPUTS, UNET_SHAPES, unetLikeGraph } from './unet-like.js';
export * from './lora-fixtures.js';
export * from './run-session.js';
export * from './text-encoder-like.js';
export * from './vae-decoder-like.js';
