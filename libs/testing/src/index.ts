export { sharedFixture } from './shared-fixtures.js';
