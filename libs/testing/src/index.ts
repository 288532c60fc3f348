export { sharedFixture } from './shared-fixtures.js';
export { assembleDistilledExport, distilledFixture, DISTILLED_VARIANTS, type DistilledVariant } from './distilled-exports.js';
