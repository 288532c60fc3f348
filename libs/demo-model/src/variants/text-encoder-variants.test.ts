import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { float32Output, runModel } from '@atelier/onnx-graph/testing';
import { buildTextEncoderGraph } from '../text-encoder-graph.js';
import { simpleInputIds } from '../testing/demo-inputs.js';
import { describeModel } from '../testing/session-io.js';
import { findClipTokenizerAssets, readVocab } from '../tokenizer-assets.js';
import { buildVariantTextEncoderGraph } from './text-encoder-variants.js';

const HIDDEN = 40;
const PROMPTS = ['', 'a red circle on a blue background', 'pink box lime ball and a grey ring on a teal backdrop', 'a cross', 'violet stripes'];

let vocab: Record<string, number>;

before(async () => {
  vocab = await readVocab(findClipTokenizerAssets());
});

function batchIds(): BigInt64Array {
  const ids = new BigInt64Array(PROMPTS.length * 77);
  PROMPTS.forEach((prompt, b) => ids.set(simpleInputIds(vocab, prompt), b * 77));
  return ids;
}

test('the one-hot MatMul encoder gives the base encoder\'s outputs bit for bit, from int64 or int32 ids', async () => {
  const dims = [PROMPTS.length, 77];
  const ids = batchIds();
  const base = await runModel(buildTextEncoderGraph({ vocab, hiddenSize: HIDDEN }).encode().model, { input_ids: new ort.Tensor('int64', ids, dims) });
  const compact = await runModel(buildVariantTextEncoderGraph({ vocab, hiddenSize: HIDDEN, layout: 'clip' }).encode().model, { input_ids: new ort.Tensor('int64', ids, dims) });
  const int32 = await runModel(buildVariantTextEncoderGraph({ vocab, hiddenSize: HIDDEN, layout: 'last-hidden-state', idType: 'int32' }).encode().model, {
    input_ids: new ort.Tensor('int32', Int32Array.from(ids, Number), dims),
  });
  for (const name of ['last_hidden_state', 'pooler_output']) assert.deepEqual(float32Output(compact, name), float32Output(base, name), name);
  assert.deepEqual(Object.keys(int32), ['last_hidden_state']);
  assert.deepEqual(float32Output(int32, 'last_hidden_state'), float32Output(base, 'last_hidden_state'));
});

test('layouts with hidden states declare hidden_states.0..N after the CLIP or projection outputs, and stay small', async () => {
  const clip = buildVariantTextEncoderGraph({ vocab, hiddenSize: HIDDEN, layout: 'clip-hidden-states', layers: 3 }).encode().model;
  const projection = buildVariantTextEncoderGraph({ vocab, hiddenSize: HIDDEN, layout: 'projection-hidden-states', layers: 2, dims: ['b', 's'] }).encode().model;
  assert.deepEqual((await describeModel(clip)).outputs.map(([name]) => name), ['last_hidden_state', 'pooler_output', 'hidden_states.0', 'hidden_states.1', 'hidden_states.2', 'hidden_states.3']);
  const described = await describeModel(projection);
  assert.deepEqual(described.inputs, [['input_ids', 'int64', ['b', 's']]]);
  assert.deepEqual(described.outputs.map(([name, , shape]) => [name, shape]), [
    ['text_embeds', ['b', HIDDEN]],
    ['last_hidden_state', ['b', 's', HIDDEN]],
    ['hidden_states.0', ['b', 's', HIDDEN]],
    ['hidden_states.1', ['b', 's', HIDDEN]],
    ['hidden_states.2', ['b', 's', HIDDEN]],
  ]);
  assert.ok(clip.byteLength < 16_000, `${clip.byteLength} bytes`);
});
