export { FIXTURES_DIR, readFixturePng } from './fixtures.js';
