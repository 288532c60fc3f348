export { writeScrfdGraph, writeRestorerGraph, type ScrfdEntry, type RestorerTransform } from './face-graphs.js';
export { readGoldens, readPasteGolden, FIXTURES_DIR, type Goldens, type ScrfdGolden, type PasteGolden } from './fixtures.js';
