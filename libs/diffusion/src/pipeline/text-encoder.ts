import type * as ort from 'onnxruntime-node';
import { applyTokenWeights, type PromptChunk } from '../text/prompt-chunks.js';
import { disposeAll, integerInput, readFloat32 } from './tensors.js';

export interface PromptEmbeddings {
  /** [1, chunks × maxLength, hidden] row-major. */
  readonly hidden: Float32Array;
  readonly sequence: number;
  readonly channels: number;
  /** Pooled embedding of the first chunk (SDXL's `text_embeds`), when the encoder has one. */
  readonly pooled?: Float32Array;
}

export interface EncodeOptions {
  /** `hidden_states.N` index to use instead of last_hidden_state (SDXL: penultimate). */
  readonly hiddenStateIndex?: number;
}

/** Picks the hidden-state output an encoder offers: last_hidden_state or hidden_states.N. */
function hiddenOutputName(session: ort.InferenceSession, options: EncodeOptions): string {
  const names = session.outputNames;
  if (options.hiddenStateIndex !== undefined) {
    const hidden = names.filter((name) => /^hidden_states\.\d+$/.test(name)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    const index = options.hiddenStateIndex < 0 ? hidden.length + options.hiddenStateIndex : options.hiddenStateIndex;
    if (hidden[index]) return hidden[index];
  }
  if (names.includes('last_hidden_state')) return 'last_hidden_state';
  return names[0];
}

/**
 * Runs the text encoder over each 77-token chunk and concatenates along the sequence, applying
 * A1111 token weights per chunk (the weights are a no-op when all are 1, so plain prompts match
 * diffusers exactly).
 */
export async function encodeChunks(session: ort.InferenceSession, chunks: readonly PromptChunk[], options: EncodeOptions = {}): Promise<PromptEmbeddings> {
  const inputName = session.inputNames[0];
  const outputName = hiddenOutputName(session, options);
  const pooledName = session.outputNames.find((name) => name === 'text_embeds' || name === 'pooler_output');
  const parts: Float32Array[] = [];
  let channels = 0;
  let sequence = 0;
  let pooled: Float32Array | undefined;
  for (const [index, chunk] of chunks.entries()) {
    const length = chunk.ids.length;
    const outputs = await session.run({ [inputName]: integerInput(session, inputName, chunk.ids, [1, length]) });
    const hiddenTensor = outputs[outputName];
    channels = hiddenTensor.dims[2];
    const hidden = applyTokenWeights(readFloat32(hiddenTensor), [1, length, channels], chunk.weights);
    if (index === 0 && pooledName && outputs[pooledName]) pooled = readFloat32(outputs[pooledName]);
    disposeAll(outputs);
    parts.push(hidden);
    sequence += length;
  }
  const hidden = new Float32Array(sequence * channels);
  let offset = 0;
  for (const part of parts) {
    hidden.set(part, offset);
    offset += part.length;
  }
  return { hidden, sequence, channels, pooled };
}
