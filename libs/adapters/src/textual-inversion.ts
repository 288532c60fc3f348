// Textual-inversion embeddings as new tokens: each embedding's vectors become rows appended to
// the text encoder's token embedding table, and the tokenizer emits their new ids (vocab_size,
// vocab_size + 1, …) where the prompt names the embedding. Files come as
//   A1111     emb_params [n, hidden], or string_to_param.* (the .pt layout saved as safetensors)
//   diffusers one tensor named after its token ("<cat-toy>": [hidden] or [n, hidden]) or learned_embeds
//   SDXL      clip_l [n, 768] for text_encoder and clip_g [n, 1280] for text_encoder_2
import { tensorToFloat32, type SafetensorsFile, type TensorEntry } from '@atelier/model-formats';
import { argmaxGuard } from './argmax-guard.js';
import type { InitializerUpdate } from './initializer-update.js';
import type { GraphPatch } from './merged-model.js';
import type { OnnxModel } from './onnx-model.js';
import { findTokenEmbedding, type TokenEmbeddingTable } from './token-embedding.js';

export type TextEncoderName = 'text_encoder' | 'text_encoder_2';

export interface EmbeddingSource {
  /** The word prompts use for it (A1111 uses the file name). */
  readonly name: string;
  readonly file: SafetensorsFile;
}

/** What a tokenizer needs: the word, the ids to emit in its place, and the rows behind them. */
export interface TokenEmbedding {
  readonly name: string;
  readonly ids: readonly number[];
  readonly vectors: readonly Float32Array[];
}

export interface TextualInversionPlan {
  readonly table: TokenEmbeddingTable;
  readonly tokens: readonly TokenEmbedding[];
  /** The enlarged token embedding initializer ([vocab + new rows, hidden]). */
  readonly updates: Map<string, InitializerUpdate>;
  /** Keeps the pooled output on the end-of-text token (see argmax-guard.ts). */
  readonly patches: readonly GraphPatch[];
}

export interface TextualInversionOptions {
  readonly encoder?: TextEncoderName;
}

export async function planTextualInversion(
  model: OnnxModel,
  embeddings: readonly EmbeddingSource[],
  options: TextualInversionOptions = {},
): Promise<TextualInversionPlan> {
  const table = findTokenEmbedding(model);
  const encoder = options.encoder ?? 'text_encoder';
  const seen = new Set<string>();
  const tokens: TokenEmbedding[] = [];
  let nextId = table.vocabSize;
  for (const embedding of embeddings) {
    if (seen.has(embedding.name)) throw new Error(`textual inversion ${embedding.name} is given twice`);
    seen.add(embedding.name);
    const vectors = embeddingVectors(embedding, encoder, table.hidden);
    tokens.push({ name: embedding.name, ids: vectors.map(() => nextId++), vectors });
  }

  const base = await model.readFloat32(table.initializer);
  const rows = nextId;
  const data = new Float32Array(rows * table.hidden);
  data.set(base);
  for (const token of tokens) token.vectors.forEach((vector, i) => data.set(vector, token.ids[i] * table.hidden));
  const updates = new Map<string, InitializerUpdate>([[table.initializer, { data, dims: [rows, table.hidden] }]]);
  const patches = tokens.length > 0 ? [argmaxGuard(table.idsInput, table.vocabSize)] : [];
  return { table, tokens, updates, patches };
}

/** The embedding's vectors for one encoder, each `hidden` long. */
export function embeddingVectors(embedding: EmbeddingSource, encoder: TextEncoderName, hidden: number): Float32Array[] {
  const entry = pickTensor(embedding, encoder);
  const values = tensorToFloat32(entry);
  const count = entry.shape.length === 1 ? 1 : entry.shape[0];
  if (entry.shape.length > 2 || values.length !== count * hidden) {
    throw new Error(`textual inversion ${embedding.name}: shape [${entry.shape.join(', ')}] does not hold vectors of this encoder's width ${hidden}`);
  }
  if (count === 0) throw new Error(`textual inversion ${embedding.name} holds no vectors`);
  return Array.from({ length: count }, (_, i) => values.slice(i * hidden, (i + 1) * hidden));
}

function pickTensor(embedding: EmbeddingSource, encoder: TextEncoderName): TensorEntry {
  const tensors = embedding.file.tensors;
  const sdxl = tensors.get('clip_l') !== undefined || tensors.get('clip_g') !== undefined;
  if (sdxl) {
    const entry = tensors.get(encoder === 'text_encoder' ? 'clip_l' : 'clip_g');
    if (entry === undefined) throw new Error(`textual inversion ${embedding.name} has no vectors for ${encoder}`);
    return entry;
  }
  const named = tensors.get('emb_params') ?? tensors.get('learned_embeds') ?? [...tensors].find(([key]) => key.startsWith('string_to_param.'))?.[1];
  if (named !== undefined) return named;
  if (tensors.size === 1) return [...tensors.values()][0];
  throw new Error(`textual inversion ${embedding.name}: no emb_params, string_to_param.*, clip_l/clip_g or single token tensor among ${[...tensors.keys()].slice(0, 5).join(', ')}`);
}
