import { BACKGROUND_WORDS, COLOUR_WORDS, DEMO_SHAPES, SHAPE_WORDS } from './vocabulary.js';

/**
 * Per-token features the text encoder's embedding table holds:
 * [signed colour r, g, b (2c-1) | colour flag | shape one-hot ... | background flag].
 */
export const TOKEN_FEATURES = {
  colour: 0,
  colourFlag: 3,
  shapes: 4,
  background: 4 + DEMO_SHAPES.length,
  size: 5 + DEMO_SHAPES.length,
} as const;

/**
 * The summary the encoder writes into every position of last_hidden_state (zero-padded to the
 * hidden size): [shape colour, signed | shape presence ... | background colour, signed].
 */
export const SUMMARY_FEATURES = {
  shapeColour: 0,
  shapes: 3,
  backgroundColour: 3 + DEMO_SHAPES.length,
  size: 6 + DEMO_SHAPES.length,
} as const;

/** Features of one vocabulary word, or null for every word the demo ignores. */
export function wordFeatures(word: string): Float32Array | null {
  const features = new Float32Array(TOKEN_FEATURES.size);
  const colour = COLOUR_WORDS[word];
  const shape = SHAPE_WORDS[word];
  if (colour !== undefined) {
    for (let c = 0; c < 3; c++) features[TOKEN_FEATURES.colour + c] = 2 * colour[c] - 1;
    features[TOKEN_FEATURES.colourFlag] = 1;
  } else if (shape !== undefined) {
    features[TOKEN_FEATURES.shapes + DEMO_SHAPES.indexOf(shape)] = 1;
  } else if (BACKGROUND_WORDS.includes(word)) {
    features[TOKEN_FEATURES.background] = 1;
  } else {
    return null;
  }
  return features;
}

export function vocabularyWords(): string[] {
  return [...Object.keys(COLOUR_WORDS), ...Object.keys(SHAPE_WORDS), ...BACKGROUND_WORDS];
}
