import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { float32Literal } from '@atelier/onnx-graph';
import { TOKEN_FEATURES } from '../features.js';
import { CLIP_VOCAB_SIZE, TEXT_ENCODER_IO, appendPromptSummary, tokenFeatureTable } from '../text-encoder-graph.js';
import { PROMPT_EMBEDDING_OFFSET } from './trainable-contract.js';
import { tokenEmbeddingTable } from './token-embedding-table.js';

export interface TrainableTextEncoderOptions {
  readonly vocab: Readonly<Record<string, number>>;
  readonly hiddenSize: number;
  readonly embeddingSize: number;
  readonly seed: number;
}

/** Ids whose embedding row is zero: CLIP's bos and eos (SD 1.x pads with eos). */
export function specialTokenIds(vocab: Readonly<Record<string, number>>): number[] {
  const ids = ['<|startoftext|>', '<|endoftext|>'].map((token) => vocab[token]);
  if (ids.some((id) => id === undefined)) throw new Error('the vocabulary has no <|startoftext|> / <|endoftext|> token');
  return ids;
}

/**
 * The demo text encoder plus the prompt embedding e: every position of last_hidden_state holds
 * [demo summary | e | 0 …], e = Σ table[id] / max(#words, 1) over the non-special tokens.
 */
export function buildTrainableTextEncoderGraph(options: TrainableTextEncoderOptions): GraphBuilder {
  const { hiddenSize, embeddingSize } = options;
  if (hiddenSize < PROMPT_EMBEDDING_OFFSET + embeddingSize) {
    throw new Error(`hiddenSize ${hiddenSize} cannot hold the summary and a ${embeddingSize}-wide prompt embedding`);
  }
  const g = new GraphBuilder({ name: 'trainable_demo_text_encoder', docString: 'Atelier trainable demo text encoder: demo summary + prompt embedding.' });
  const ops = new Ops(g);
  const ids = g.input(TEXT_ENCODER_IO.inputIds, 'int64', ['batch_size', 'sequence_length']);
  // One token embedding table, as a CLIP export has, so textual inversion can append rows to it
  // (see @atelier/adapters' findTokenEmbedding): each row is [demo features | e-row | 1].
  const layout = trainableTokenRowLayout(embeddingSize);
  const table = g.initializer(
    float32Literal(trainableTokenTable(options.vocab, embeddingSize, options.seed), [CLIP_VOCAB_SIZE, layout.width]),
    TRAINABLE_TOKEN_TABLE,
  );
  const rows = ops.gather(table, ids);

  const summary = appendPromptSummary(ops, ops.slice(rows, [0], [layout.features], [2]));
  const sums = ops.reduceSum(ops.slice(rows, [layout.embedding], [layout.width], [2]), [1], false);
  const total = ops.slice(sums, [0], [embeddingSize], [1]);
  const count = ops.slice(sums, [embeddingSize], [embeddingSize + 1], [1]);
  const embedding = ops.div(total, ops.max(count, ops.scalar(1)));

  const pooled = ops.pad(ops.concat([summary, embedding], 1), [0, 0, 0, hiddenSize - PROMPT_EMBEDDING_OFFSET - embeddingSize]);
  const hiddenShape = ops.concat([ops.shape(ids), ops.int64s([hiddenSize])], 0);
  const hidden = ops.expand(ops.unsqueeze(pooled, [1]), hiddenShape);
  g.output(TEXT_ENCODER_IO.lastHiddenState, 'float32', ['batch_size', 'sequence_length', hiddenSize], hidden);
  g.output(TEXT_ENCODER_IO.poolerOutput, 'float32', ['batch_size', hiddenSize], pooled);
  return g;
}

/** The one token table's initializer name. */
export const TRAINABLE_TOKEN_TABLE = 'token_embedding';

/** Where the parts of a token row sit: [features | e-row (embeddingSize) | word count 1]. */
export function trainableTokenRowLayout(embeddingSize: number): { readonly features: number; readonly embedding: number; readonly count: number; readonly width: number } {
  return { features: TOKEN_FEATURES.size, embedding: TOKEN_FEATURES.size, count: TOKEN_FEATURES.size + embeddingSize, width: TOKEN_FEATURES.size + embeddingSize + 1 };
}

/** [vocabSize, features + embeddingSize + 1]: the demo word features beside the e table. */
export function trainableTokenTable(vocab: Readonly<Record<string, number>>, embeddingSize: number, seed: number): Float32Array {
  const layout = trainableTokenRowLayout(embeddingSize);
  const features = tokenFeatureTable(vocab);
  const embeddings = tokenEmbeddingTable(CLIP_VOCAB_SIZE, embeddingSize, seed, specialTokenIds(vocab));
  const table = new Float32Array(CLIP_VOCAB_SIZE * layout.width);
  for (let id = 0; id < CLIP_VOCAB_SIZE; id++) {
    table.set(features.subarray(id * layout.features, (id + 1) * layout.features), id * layout.width);
    table.set(embeddings.subarray(id * (embeddingSize + 1), (id + 1) * (embeddingSize + 1)), id * layout.width + layout.embedding);
  }
  return table;
}
