export { FIXTURES_DIR, readFixturePng } from './fixtures.js';
export { writeDepthGraph, writeHedGraph, writePidinetGraph, writeYoloxGraph, writeDwposeGraph } from './preprocessor-graphs.js';
