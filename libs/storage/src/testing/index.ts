// @atelier/storage/testing: test helpers for other packages' tests. Production code never imports this entry.
export { startS3rver } from './s3rver-server.js';
export type { RunningS3rver } from './s3rver-server.js';
export * from './local-file-server.js';
export * from './object-storage-contract.js';
