// @atelier/demo-model/testing: test helpers for other packages' tests. Production code never imports this entry.
export * from './demo-inputs.js';
export * from './denoiser-checks.js';
export * from './euler.js';
export * from './seeded-random.js';
export * from './session-io.js';
