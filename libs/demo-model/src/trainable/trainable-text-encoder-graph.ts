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
  const features = g.initializer(float32Literal(tokenFeatureTable(options.vocab), [CLIP_VOCAB_SIZE, TOKEN_FEATURES.size]), 'token_features');
  const embeddings = g.initializer(
    float32Literal(tokenEmbeddingTable(CLIP_VOCAB_SIZE, embeddingSize, options.seed, specialTokenIds(options.vocab)), [CLIP_VOCAB_SIZE, embeddingSize + 1]),
    'token_embeddings',
  );

  const summary = appendPromptSummary(ops, ops.gather(features, ids));
  const sums = ops.reduceSum(ops.gather(embeddings, ids), [1], false);
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
