// @atelier/model-formats/testing: test helpers for other packages' tests. Production code never imports this entry.
export { writeZip } from '../zip/testing/zip-writer.js';
export type { ZipFixtureEntry } from '../zip/testing/zip-writer.js';
export * from '../pickle/testing/pickle-writer.js';
export * from '../pickle/testing/torch-fixtures.js';
