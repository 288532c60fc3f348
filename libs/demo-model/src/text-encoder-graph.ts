import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { float32Literal } from '@atelier/onnx-graph';
import { SUMMARY_FEATURES, TOKEN_FEATURES, vocabularyWords, wordFeatures } from './features.js';
import { DEMO_SHAPES } from './vocabulary.js';

export const TEXT_ENCODER_IO = {
  inputIds: 'input_ids',
  lastHiddenState: 'last_hidden_state',
  poolerOutput: 'pooler_output',
} as const;

export const CLIP_VOCAB_SIZE = 49408;

/** Embedding table [vocabSize, TOKEN_FEATURES.size]: features on the demo words' `word</w>` rows. */
export function tokenFeatureTable(vocab: Readonly<Record<string, number>>, vocabSize = CLIP_VOCAB_SIZE): Float32Array {
  const table = new Float32Array(vocabSize * TOKEN_FEATURES.size);
  for (const word of vocabularyWords()) {
    const id = vocab[`${word}</w>`];
    if (id === undefined || id < 0 || id >= vocabSize) throw new Error(`"${word}" is not a single CLIP token`);
    const features = wordFeatures(word);
    if (features !== null) table.set(features, id * TOKEN_FEATURES.size);
  }
  return table;
}

/**
 * The demo text encoder. Per-token features come from a Gather on the embedding table; shifting
 * the sequence by one gives each token its predecessor's colour; reducing over the sequence gives
 * [shape colour | shape presence | background colour] (absent attributes stay 0, neutral gray),
 * which is written into every position of last_hidden_state and into pooler_output.
 */
export function buildTextEncoderGraph(options: {
  readonly vocab: Readonly<Record<string, number>>;
  readonly hiddenSize: number;
}): GraphBuilder {
  if (options.hiddenSize < SUMMARY_FEATURES.size) throw new Error(`hiddenSize must be at least ${SUMMARY_FEATURES.size}`);
  const g = new GraphBuilder({ name: 'demo_text_encoder', docString: 'Atelier demo CLIP text encoder (colour/shape words).' });
  const ops = new Ops(g);
  const ids = g.input(TEXT_ENCODER_IO.inputIds, 'int64', ['batch_size', 'sequence_length']);
  const table = g.initializer(
    float32Literal(tokenFeatureTable(options.vocab), [CLIP_VOCAB_SIZE, TOKEN_FEATURES.size]),
    'token_features',
  );

  const summary = appendPromptSummary(ops, ops.gather(table, ids));

  const pooled = ops.pad(summary, [0, 0, 0, options.hiddenSize - SUMMARY_FEATURES.size]);
  const hiddenShape = ops.concat([ops.shape(ids), ops.int64s([options.hiddenSize])], 0);
  const hidden = ops.expand(ops.unsqueeze(pooled, [1]), hiddenShape);

  g.output(TEXT_ENCODER_IO.lastHiddenState, 'float32', ['batch_size', 'sequence_length', options.hiddenSize], hidden);
  g.output(TEXT_ENCODER_IO.poolerOutput, 'float32', ['batch_size', options.hiddenSize], pooled);
  return g;
}

/**
 * [shape colour | shape presence | background colour] ([batch, SUMMARY_FEATURES.size]) from
 * per-token features [batch, sequence, TOKEN_FEATURES.size].
 */
export function appendPromptSummary(ops: Ops, features: string): string {
  const previous = ops.pad(ops.slice(features, [0], [-1], [1]), [0, 1, 0, 0, 0, 0]);
  const featureSlice = (source: string, offset: number, size: number): string => ops.slice(source, [offset], [offset + size], [2]);
  const previousColour = featureSlice(previous, TOKEN_FEATURES.colour, 3);
  const previousHasColour = featureSlice(previous, TOKEN_FEATURES.colourFlag, 1);
  const shapeHot = featureSlice(features, TOKEN_FEATURES.shapes, DEMO_SHAPES.length);
  const isShape = ops.reduceSum(shapeHot, [2], true);
  const isBackground = featureSlice(features, TOKEN_FEATURES.background, 1);

  // Average of the colours named right before the selected tokens; uncoloured mentions do not count.
  const colourBefore = (selected: string): string => {
    const total = ops.reduceSum(ops.mul(selected, previousColour), [1], false);
    const count = ops.reduceSum(ops.mul(selected, previousHasColour), [1], false);
    return ops.div(total, ops.max(count, ops.scalar(1)));
  };
  return ops.concat([colourBefore(isShape), ops.reduceMax(shapeHot, [1], false), colourBefore(isBackground)], 1);
}
