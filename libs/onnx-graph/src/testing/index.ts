// @atelier/onnx-graph/testing: test helpers for other packages' tests. Production code never imports this entry.
export { float32Output, runModel } from './run-model.js';
