// @atelier/diffusion/testing: test helpers for other packages' tests. Production code never imports this entry.
export * from '../pipeline/testing/demo-oracle.js';
export * from '../pipeline/testing/dpm-single-references.js';
export * from '../pipeline/testing/session-spy.js';
export * from '../pipeline/testing/static-batch-model.js';
export * from '../schedulers/testing/allocation-counter.js';
export * from '../schedulers/testing/exact-denoiser.js';
export * from '../schedulers/testing/golden-config.js';
export * from '../controlnet/testing/controlnet-reference.js';
export * from '../ip-adapter/testing/ip-adapter-graphs.js';
export * from '../ip-adapter/testing/synthetic-image.js';
