// A "pretrained" learnable layer for the trainable demo model: W maps the prompt embedding e onto
// a fixed family of pattern pictures (checkerboards, stripes, ramps and a constant, one colour
// channel each), so every word's embedding already evokes some mixture of them. This is what a
// frozen model must offer for textual inversion: an embedding can only call up what the model
// can already draw, and with W = 0 (the LoRA base) no embedding changes the picture at all.
import { residualWeightShape, type TrainableDemoContract } from './trainable-contract.js';

type Pattern = (x: number, y: number, width: number, height: number) => number;

const parity = (value: number): number => (value % 2 === 0 ? 1 : -1);

/** Signed patterns in [−1, 1] on the residual grid. */
export const PRETRAINED_PATTERNS: readonly { readonly name: string; readonly at: Pattern }[] = [
  { name: 'checker-1', at: (x, y) => parity(x + y) },
  { name: 'checker-2', at: (x, y) => parity(Math.floor(x / 2) + Math.floor(y / 2)) },
  { name: 'checker-4', at: (x, y) => parity(Math.floor(x / 4) + Math.floor(y / 4)) },
  { name: 'rows-1', at: (_x, y) => parity(y) },
  { name: 'rows-2', at: (_x, y) => parity(Math.floor(y / 2)) },
  { name: 'columns-1', at: (x) => parity(x) },
  { name: 'columns-2', at: (x) => parity(Math.floor(x / 2)) },
  { name: 'ramp-x', at: (x, _y, width) => (width === 1 ? 0 : (2 * x) / (width - 1) - 1) },
  { name: 'ramp-y', at: (_x, y, _width, height) => (height === 1 ? 0 : (2 * y) / (height - 1) - 1) },
  { name: 'constant', at: () => 1 },
];

/** Signed-pixel amplitude of one unit of e along a pattern. */
export const PRETRAINED_PATTERN_SCALE = 0.5;
/** The demo VAE draws from channels 0..2 only. */
const COLOUR_CHANNELS = 3;

/**
 * Wᵀ [in, out]: input feature i draws pattern ⌊i/3⌋ (cycling) on colour channel i mod 3, in latent
 * units (signed pixels × scaling factor).
 */
export function pretrainedResidualWeight(contract: Pick<TrainableDemoContract, 'embeddingSize' | 'residual' | 'scalingFactor'>): Float32Array {
  const { out, in: inFeatures } = residualWeightShape(contract);
  const { height, width } = contract.residual;
  const plane = height * width;
  const weights = new Float32Array(inFeatures * out);
  for (let i = 0; i < inFeatures; i++) {
    const pattern = PRETRAINED_PATTERNS[Math.floor(i / COLOUR_CHANNELS) % PRETRAINED_PATTERNS.length];
    const channel = i % COLOUR_CHANNELS;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) weights[i * out + channel * plane + y * width + x] = PRETRAINED_PATTERN_SCALE * contract.scalingFactor * pattern.at(x, y, width, height);
    }
  }
  return weights;
}
