import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OnnxModelSignature } from '@atelier/onnx-graph';
import { deriveModelFacts, graphRolesOf } from './onnx-model-facts.js';
import { OnnxModelImportError } from './onnx-model-errors.js';

const value = (name: string, dims: ReadonlyArray<number | string>) => ({ name, elementType: 'float32', dims });
const graph = (inputs: ReturnType<typeof value>[], outputs: ReturnType<typeof value>[]): OnnxModelSignature => ({ irVersion: 8, opsets: [{ domain: '', version: 17 }], inputs, outputs, externalDataFiles: [] });

const ENCODER = graph([value('pixel_values', ['batch', 3, 224, 224])], [value('image_embeds', ['batch', 1024])]);
const PLUS_ENCODER = graph([value('pixel_values', ['batch', 3, 224, 224])], [value('image_embeds', ['batch', 1024]), value('hidden_states', ['batch', 257, 1280])]);
const projection = (tokens: number | string, width: number | string) => graph([value('image_embeds', ['batch', 1024])], [value('image_prompt_embeds', ['batch', tokens, width])]);

function facts(encoder: OnnxModelSignature, proj: OnnxModelSignature, config?: Record<string, unknown>, baseFamily?: 'sd1' | 'sd2' | 'sdxl') {
  return deriveModelFacts({ kind: 'ip_adapter', graphs: { image_encoder: encoder, projection: proj }, config, supplied: { baseFamily }, fieldOf: (role) => (role === 'config' ? 'config' : role) });
}

function refusal(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof OnnxModelImportError);
    return { field: error.field, message: error.message };
  }
  assert.fail('expected a refusal');
}

describe('ip_adapter facts (registry import and MODELS_DIR/ip-adapters folders)', () => {
  it('takes the image_encoder and projection graphs; family from config.json, else the token width, else base_family; plus and tokens', () => {
    assert.deepEqual(graphRolesOf('ip_adapter', undefined), ['image_encoder', 'projection']);
    assert.deepEqual(facts(ENCODER, projection(4, 768)), { facts: { base_family: 'sd1', plus: false, tokens: 4 }, config: { family: 'sd1', plus: false, tokens: 4 } });
    assert.deepEqual(facts(ENCODER, projection(4, 2048), { family: 'sdxl' }).facts, { base_family: 'sdxl', plus: false, tokens: 4 });
    assert.deepEqual(facts(ENCODER, projection('tokens', 32), { family: 'sd', tokens: 16 }, 'sd2'), { facts: { base_family: 'sd2', plus: false, tokens: 16 }, config: { family: 'sd2', plus: false, tokens: 16 } });
    // "plus": stated in config.json, or told by an encoder without image_embeds.
    assert.equal(facts(PLUS_ENCODER, projection(16, 768), { family: 'sd15', plus: true }).facts.plus, true);
    assert.deepEqual(facts(PLUS_ENCODER, projection(16, 768), { family: 'sd15', plus: true }).config?.family, 'sd15', 'the library reads its own family names');
  });

  it('refuses what the pipeline library could not run, naming the field', () => {
    assert.deepEqual(refusal(() => facts(graph([value('image', [1, 3, 224, 224])], [value('image_embeds', [1, 8])]), projection(4, 768))).field, 'image_encoder');
    assert.match(refusal(() => facts(ENCODER, projection(4, 768), { plus: true })).message, /penultimate hidden states/);
    assert.deepEqual(refusal(() => facts(ENCODER, graph([value('x', [1, 8])], [value('y', [1, 8])]))).field, 'projection');
    assert.deepEqual(refusal(() => facts(ENCODER, projection(4, 32))), { field: 'base_family', message: 'the family cannot be read from config.json or the token width: give base_family (sd1, sd2 or sdxl)' });
    assert.equal(refusal(() => facts(ENCODER, projection(4, 2048), undefined, 'sd1')).field, 'base_family');
    assert.equal(refusal(() => facts(ENCODER, projection(4, 768), { family: 'sd3' })).field, 'config');
    assert.equal(refusal(() => facts(ENCODER, projection(4, 768), { tokens: 16 })).field, 'config');
  });
});
