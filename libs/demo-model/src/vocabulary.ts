/**
 * The tiny language the demo text encoder understands. Every word here is a single token of the
 * CLIP BPE vocabulary (`word</w>`); "cyan" is not (CLIP splits it into "cy" + "an"), so aqua and
 * turquoise stand in for it.
 */

export type Rgb = readonly [number, number, number];

export const DEMO_SHAPES = ['circle', 'square', 'triangle', 'diamond', 'ring', 'stripe', 'cross'] as const;
export type DemoShape = (typeof DEMO_SHAPES)[number];

// Channels are restricted to 0, 0.5 and 1; see unet-graph.ts for why guidance then cannot
// change the picture.
export const COLOUR_WORDS: Readonly<Record<string, Rgb>> = {
  red: [1, 0, 0],
  green: [0, 1, 0],
  blue: [0, 0, 1],
  yellow: [1, 1, 0],
  aqua: [0, 1, 1],
  turquoise: [0, 1, 1],
  magenta: [1, 0, 1],
  white: [1, 1, 1],
  black: [0, 0, 0],
  gray: [0.5, 0.5, 0.5],
  grey: [0.5, 0.5, 0.5],
  orange: [1, 0.5, 0],
  purple: [0.5, 0, 0.5],
  violet: [1, 0.5, 1],
  pink: [1, 0.5, 0.5],
  teal: [0, 0.5, 0.5],
  navy: [0, 0, 0.5],
  maroon: [0.5, 0, 0],
  olive: [0.5, 0.5, 0],
  lime: [0.5, 1, 0],
  azure: [0, 0.5, 1],
  indigo: [0.5, 0, 1],
};

export const SHAPE_WORDS: Readonly<Record<string, DemoShape>> = {
  circle: 'circle',
  ball: 'circle',
  disc: 'circle',
  disk: 'circle',
  square: 'square',
  box: 'square',
  triangle: 'triangle',
  diamond: 'diamond',
  ring: 'ring',
  stripe: 'stripe',
  stripes: 'stripe',
  cross: 'cross',
  plus: 'cross',
};

export const BACKGROUND_WORDS: readonly string[] = ['background', 'backdrop'];

export interface DemoVocabulary {
  readonly colours: Readonly<Record<string, Rgb>>;
  readonly shapes: Readonly<Record<string, DemoShape>>;
  readonly background: readonly string[];
}

export const DEMO_VOCABULARY: DemoVocabulary = {
  colours: COLOUR_WORDS,
  shapes: SHAPE_WORDS,
  background: BACKGROUND_WORDS,
};
