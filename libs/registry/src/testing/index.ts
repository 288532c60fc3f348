// @atelier/registry/testing: test helpers for other packages' tests. Production code never imports this entry.
export * from './onnx-model-graphs.js';
