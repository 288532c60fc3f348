import * as ort from 'onnxruntime-node';
import { summaryFromConditioning, type DemoConditioning } from '../conditioning.js';

export const BOS_ID = 49406;
export const EOS_ID = 49407;

/** encoder_hidden_states as the demo text encoder would produce them: the summary in every position. */
export function hiddenStatesFor(conditionings: readonly DemoConditioning[], hiddenSize: number, sequenceLength = 77): ort.Tensor {
  const data = new Float32Array(conditionings.length * sequenceLength * hiddenSize);
  conditionings.forEach((conditioning, b) => {
    const summary = summaryFromConditioning(conditioning);
    for (let s = 0; s < sequenceLength; s++) data.set(summary, (b * sequenceLength + s) * hiddenSize);
  });
  return new ort.Tensor('float32', data, [conditionings.length, sequenceLength, hiddenSize]);
}

/** Whitespace word lookup of `word</w>` ids, wrapped in bos/eos and padded to 77 (with eos unless `padId` is given). */
export function simpleInputIds(vocab: Readonly<Record<string, number>>, prompt: string, length = 77, padId = EOS_ID): BigInt64Array {
  const ids = [BOS_ID];
  for (const word of prompt.split(/\s+/).filter((w) => w !== '')) {
    const id = vocab[`${word}</w>`];
    if (id === undefined) throw new Error(`test prompt word "${word}" is not a single token`);
    ids.push(id);
  }
  ids.push(EOS_ID);
  while (ids.length < length) ids.push(padId);
  return BigInt64Array.from(ids.map(BigInt));
}
