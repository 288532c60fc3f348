export {
  writeSamEncoderGraph,
  writeOfficialDecoderGraph,
  writeTransformersDecoderGraph,
  encoderWeight,
  OFFICIAL_RADII,
  OFFICIAL_SCORES,
  TRANSFORMERS_RADII,
  TRANSFORMERS_SCORES,
} from './sam-graphs.js';
export { FIXTURES_DIR, patternImage, lowResLogits, readSamGoldens, type SamGoldens } from './fixtures.js';
