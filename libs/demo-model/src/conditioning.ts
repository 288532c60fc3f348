import { SUMMARY_FEATURES, TOKEN_FEATURES, wordFeatures } from './features.js';
import { DEMO_SHAPES, type DemoShape, type Rgb } from './vocabulary.js';

/** What a prompt asks the demo model to draw; colours are RGB in [0, 1]. */
export interface DemoConditioning {
  readonly shapes: readonly DemoShape[];
  readonly shapeColour: Rgb;
  readonly backgroundColour: Rgb;
}

/** The unconditional target: no shape, neutral gray, i.e. latent zero. */
export const NEUTRAL_CONDITIONING: DemoConditioning = {
  shapes: [],
  shapeColour: [0.5, 0.5, 0.5],
  backgroundColour: [0.5, 0.5, 0.5],
};

// CLIP's pre-tokenizer pattern: BPE never merges across these pieces, so a vocabulary word is
// one token exactly when it is one piece, and two vocabulary words are adjacent tokens exactly
// when they are adjacent pieces.
const CLIP_PIECES = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/gu;

/** Features per token (null for tokens the demo ignores), as the text encoder's Gather sees them. */
export function promptTokenFeatures(prompt: string): (Float32Array | null)[] {
  const pieces = prompt.toLowerCase().replace(/\s+/g, ' ').trim().match(CLIP_PIECES) ?? [];
  return pieces.map(wordFeatures);
}

/**
 * TypeScript mirror of the encoder graph's reduction: a colour word right before a shape word
 * colours the shape, right before a background word colours the background; several coloured
 * mentions average, uncoloured ones do not dilute the average.
 */
export function summarizeTokenFeatures(tokens: readonly (Float32Array | null)[]): Float32Array {
  const summary = new Float32Array(SUMMARY_FEATURES.size);
  const shapeColour = [0, 0, 0];
  const backgroundColour = [0, 0, 0];
  let shapeColourCount = 0;
  let backgroundColourCount = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === null) continue;
    const previous = i > 0 ? tokens[i - 1] : null;
    const previousFlag = previous?.[TOKEN_FEATURES.colourFlag] ?? 0;
    let isShape = 0;
    for (let s = 0; s < DEMO_SHAPES.length; s++) {
      const hot = token[TOKEN_FEATURES.shapes + s];
      isShape += hot;
      summary[SUMMARY_FEATURES.shapes + s] = Math.max(summary[SUMMARY_FEATURES.shapes + s], hot);
    }
    const isBackground = token[TOKEN_FEATURES.background];
    for (let c = 0; c < 3; c++) {
      const colour = previous?.[TOKEN_FEATURES.colour + c] ?? 0;
      shapeColour[c] += isShape * colour;
      backgroundColour[c] += isBackground * colour;
    }
    shapeColourCount += isShape * previousFlag;
    backgroundColourCount += isBackground * previousFlag;
  }
  for (let c = 0; c < 3; c++) {
    summary[SUMMARY_FEATURES.shapeColour + c] = shapeColour[c] / Math.max(shapeColourCount, 1);
    summary[SUMMARY_FEATURES.backgroundColour + c] = backgroundColour[c] / Math.max(backgroundColourCount, 1);
  }
  return summary;
}

/** Reads a summary vector (the first SUMMARY_FEATURES.size entries of a hidden state). */
export function conditioningFromSummary(vector: ArrayLike<number>): DemoConditioning {
  const colour = (offset: number): Rgb => [(vector[offset] + 1) / 2, (vector[offset + 1] + 1) / 2, (vector[offset + 2] + 1) / 2];
  return {
    shapes: DEMO_SHAPES.filter((_, s) => vector[SUMMARY_FEATURES.shapes + s] > 0.5),
    shapeColour: colour(SUMMARY_FEATURES.shapeColour),
    backgroundColour: colour(SUMMARY_FEATURES.backgroundColour),
  };
}

export function summaryFromConditioning(conditioning: DemoConditioning): Float32Array {
  const summary = new Float32Array(SUMMARY_FEATURES.size);
  for (let c = 0; c < 3; c++) {
    summary[SUMMARY_FEATURES.shapeColour + c] = 2 * conditioning.shapeColour[c] - 1;
    summary[SUMMARY_FEATURES.backgroundColour + c] = 2 * conditioning.backgroundColour[c] - 1;
  }
  for (const shape of conditioning.shapes) summary[SUMMARY_FEATURES.shapes + DEMO_SHAPES.indexOf(shape)] = 1;
  return summary;
}

/** What the demo model draws for a prompt (prompts longer than CLIP's 75 tokens are not truncated here). */
export function parseDemoPrompt(prompt: string): DemoConditioning {
  return conditioningFromSummary(summarizeTokenFeatures(promptTokenFeatures(prompt)));
}
