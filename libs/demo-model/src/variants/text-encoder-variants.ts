import type { Dim } from '@atelier/onnx-graph';
import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { float32Literal, int64Literal } from '@atelier/onnx-graph';
import { SUMMARY_FEATURES, TOKEN_FEATURES, vocabularyWords, wordFeatures } from '../features.js';
import { appendPromptSummary } from '../text-encoder-graph.js';

/**
 * Which outputs the encoder declares, in the order real exports list them:
 * - `clip`: last_hidden_state, pooler_output (CLIPTextModel, SD 1.x/2.x);
 * - `last-hidden-state`: last_hidden_state only (old diffusers conversion script variants);
 * - `clip-hidden-states`: last_hidden_state, pooler_output, hidden_states.0..N (SDXL text_encoder);
 * - `projection-hidden-states`: text_embeds, last_hidden_state, hidden_states.0..N (SDXL text_encoder_2).
 */
export type TextEncoderLayout = 'clip' | 'last-hidden-state' | 'clip-hidden-states' | 'projection-hidden-states';

export interface VariantTextEncoderOptions {
  readonly vocab: Readonly<Record<string, number>>;
  readonly hiddenSize: number;
  readonly layout: TextEncoderLayout;
  readonly idType?: 'int64' | 'int32';
  /** Transformer layers N, so hidden_states.0..N are declared (layouts with hidden states only). */
  readonly layers?: number;
  /** Names of the batch and sequence dims. */
  readonly dims?: readonly [Dim, Dim];
}

/**
 * What hidden_states.k holds: the summary plus HIDDEN_STATE_STEP · (k − (N − 1)) on every feature,
 * so the penultimate layer (what SDXL feeds the UNet) is exactly the summary, and a pipeline that
 * picks last_hidden_state (= hidden_states.N) or any other layer gets visibly shifted colours.
 */
export const HIDDEN_STATE_STEP = 0.25;

/** Ids of the demo's words and their feature rows, for a one-hot MatMul instead of a vocabulary-sized table. */
function wordTable(vocab: Readonly<Record<string, number>>): { ids: number[]; features: Float32Array } {
  const words = vocabularyWords();
  const features = new Float32Array(words.length * TOKEN_FEATURES.size);
  const ids = words.map((word, row) => {
    const id = vocab[`${word}</w>`];
    if (id === undefined) throw new Error(`"${word}" is not a single CLIP token`);
    const wordRow = wordFeatures(word);
    if (wordRow !== null) features.set(wordRow, row * TOKEN_FEATURES.size);
    return id;
  });
  return { ids, features };
}

/**
 * The demo text encoder in the I/O layouts real exports use. Token features come from
 * Equal(ids, word ids) → one-hot → MatMul with a [words, features] table (a few kB, exact because
 * every row sums one product); the rest is the base encoder's summary, written into every position.
 */
export function buildVariantTextEncoderGraph(options: VariantTextEncoderOptions): GraphBuilder {
  const { hiddenSize, layout } = options;
  if (hiddenSize < SUMMARY_FEATURES.size) throw new Error(`hiddenSize must be at least ${SUMMARY_FEATURES.size}`);
  const [batch, sequence] = options.dims ?? ['batch_size', 'sequence_length'];
  const g = new GraphBuilder({ name: 'demo_text_encoder', docString: `Atelier demo CLIP text encoder (${layout} layout).` });
  const ops = new Ops(g);
  const ids = g.input('input_ids', options.idType ?? 'int64', [batch, sequence]);

  const table = wordTable(options.vocab);
  const wordIds = g.initializer(int64Literal(table.ids), 'word_ids');
  const wordFeatureRows = g.initializer(float32Literal(table.features, [table.ids.length, TOKEN_FEATURES.size]), 'word_features');
  const ids64 = options.idType === 'int32' ? ops.cast(ids, 'int64') : ids;
  const oneHot = ops.cast(ops.equal(ops.unsqueeze(ids64, [2]), wordIds), 'float32');
  const summary = appendPromptSummary(ops, ops.matMul(oneHot, wordFeatureRows));

  const pooled = ops.pad(summary, [0, 0, 0, hiddenSize - SUMMARY_FEATURES.size]);
  const hidden = ops.expand(ops.unsqueeze(pooled, [1]), ops.concat([ops.shape(ids), ops.int64s([hiddenSize])], 0));
  const hiddenDims = [batch, sequence, hiddenSize];
  const pooledDims = [batch, hiddenSize];

  if (layout === 'clip' || layout === 'last-hidden-state') {
    g.output('last_hidden_state', 'float32', hiddenDims, hidden);
    if (layout === 'clip') g.output('pooler_output', 'float32', pooledDims, pooled);
    return g;
  }

  const layers = options.layers ?? 12;
  const layer = (k: number): string => (k === layers - 1 ? hidden : ops.add(hidden, ops.scalar(HIDDEN_STATE_STEP * (k - (layers - 1)))));
  const last = layer(layers);
  if (layout === 'clip-hidden-states') {
    g.output('last_hidden_state', 'float32', hiddenDims, last);
    g.output('pooler_output', 'float32', pooledDims, pooled);
  } else {
    g.output('text_embeds', 'float32', pooledDims, pooled);
    g.output('last_hidden_state', 'float32', hiddenDims, last);
  }
  for (let k = 0; k <= layers; k++) g.output(`hidden_states.${k}`, 'float32', hiddenDims, k === layers ? last : layer(k));
  return g;
}
