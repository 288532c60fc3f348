export { writeScrfdGraph, writeRestorerGraph, type ScrfdEntry, type RestorerTransform } from './face-graphs.js';
export { readGoldens, FIXTURES_DIR, type Goldens, type ScrfdGolden } from './fixtures.js';
