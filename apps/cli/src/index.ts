// @atelier/cli-app: what other packages (the root-level tests) use of this app.
export { requestHash } from './batch/batch-input.js';
export { newBatchState, STATE_FILE_NAME, StateFile } from './batch/state-file.js';
export type { BatchState } from './batch/state-file.js';
