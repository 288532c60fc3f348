import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { bufferSource, GraphBuilder, inspectOnnxModel, OnnxInspectError, Ops, saveModel, float32Literal, type OnnxModelSignature } from '@atelier/onnx-graph';
import { controlNetGraph, depthGraph, faceDetectorGraph, faceRestorerGraph, openposeGraphs, samDecoderGraph, samEncoderGraph, upscalerGraph } from './testing/onnx-model-graphs.js';
import { sharedFixture } from '@atelier/testing';
import { deriveModelFacts, type FactsInput } from './onnx-model-facts.js';
import { OnnxModelImportError } from './onnx-model-errors.js';
import type { OnnxGraphRole } from './onnx-model-manifest.js';

const inspect = (bytes: Uint8Array): Promise<OnnxModelSignature> => inspectOnnxModel(bufferSource(bytes));
const fieldOf = (role: OnnxGraphRole | 'config'): string => (role === 'model' ? 'file' : role);

async function facts(kind: FactsInput['kind'], graphs: Partial<Record<OnnxGraphRole, Uint8Array>>, extra: Partial<FactsInput> = {}): Promise<ReturnType<typeof deriveModelFacts>> {
  const signatures: Partial<Record<OnnxGraphRole, OnnxModelSignature>> = {};
  for (const [role, bytes] of Object.entries(graphs) as Array<[OnnxGraphRole, Uint8Array]>) signatures[role] = await inspect(bytes);
  return deriveModelFacts({ kind, graphs: signatures, config: undefined, supplied: {}, fieldOf, ...extra });
}

function refusedField(error: unknown): string {
  assert.ok(error instanceof OnnxModelImportError, `expected an OnnxModelImportError, got ${String(error)}`);
  assert.equal(error.code, 'invalid_model');
  return error.field;
}

describe('inspectOnnxModel: signatures without loading weights', () => {
  it('reads names, element types and dims (symbolic ones as strings), leaving initializers out of the inputs', async () => {
    const signature = await inspect(controlNetGraph({ textWidth: 'width', weightBytes: 1 << 20 }));
    assert.deepEqual(signature.inputs.map((input) => input.name), ['sample', 'timestep', 'encoder_hidden_states', 'controlnet_cond', 'conditioning_scale']);
    assert.deepEqual(signature.inputs[0], { name: 'sample', elementType: 'float32', dims: ['batch', 4, 'height', 'width'] });
    assert.deepEqual(signature.inputs[2].dims, ['batch', 77, 'width']);
    assert.deepEqual(signature.outputs.map((output) => output.name), ['down_block_res_sample_0', 'down_block_res_sample_1', 'down_block_res_sample_2', 'mid_block_res_sample']);
    assert.deepEqual(signature.externalDataFiles, []);
    assert.ok(signature.irVersion > 0);
    assert.equal(signature.opsets[0].domain, '');
  });

  it('reads a weight-heavy graph with few reads: the 1 MB initializer is skipped, not read', async () => {
    const bytes = controlNetGraph({ weightBytes: 4 << 20 });
    let read = 0;
    const signature = await inspectOnnxModel({ size: bytes.byteLength, read: async (position, length) => ((read += length), bytes.subarray(position, position + length)) });
    assert.equal(signature.inputs.length, 5);
    assert.ok(read < 512 * 1024, `read ${read} of ${bytes.byteLength} bytes`);
  });

  it('reports external data files (model.onnx_data)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'inspect-external-'));
    try {
      const graph = new GraphBuilder();
      const ops = new Ops(graph);
      const x = graph.input('input', 'float32', [4096]);
      graph.output('output', 'float32', [4096], ops.add(x, graph.initializer(float32Literal(new Float32Array(4096).fill(2)), 'big')));
      const saved = await saveModel(graph, path.join(dir, 'model.onnx'), { externalData: {} });
      const signature = await inspect(await readFile(saved.modelPath));
      assert.deepEqual(signature.externalDataFiles, ['model.onnx_data']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses bytes that are not an ONNX model with a coded error', async () => {
    for (const bytes of [Buffer.from('{"not": "onnx"}'), Buffer.from('PK\x03\x04 a zip file'), new Uint8Array(0), controlNetGraph().subarray(0, 200)]) {
      await assert.rejects(inspect(bytes), (error: unknown) => error instanceof OnnxInspectError && error.code === 'invalid_onnx');
    }
  });

  it('reads the real tiny ControlNet exports of the fixture', async () => {
    const root = sharedFixture('controlnet-tiny-onnx');
    const sd = await inspect(await readFile(path.join(root, 'controlnets/depth-noscale/model.onnx')));
    assert.ok(sd.inputs.some((input) => input.name === 'controlnet_cond'));
    assert.ok(!sd.inputs.some((input) => input.name === 'conditioning_scale'));
    const xl = await inspect(await readFile(path.join(root, 'sdxl/controlnets/canny/model.onnx')));
    assert.ok(xl.inputs.some((input) => input.name === 'text_embeds') && xl.inputs.some((input) => input.name === 'time_ids'));
    const derived = deriveModelFacts({ kind: 'controlnet', graphs: { model: xl }, config: JSON.parse(await readFile(path.join(root, 'sdxl/controlnets/canny/config.json'), 'utf8')) as Record<string, unknown>, supplied: {}, fieldOf });
    assert.equal(derived.facts.base_family, 'sdxl');
  });
});

describe('deriveModelFacts: per-kind checks and facts', () => {
  it('controlnet: family from config.json first, then the text width, then SDXL inputs; scale input noticed', async () => {
    assert.deepEqual((await facts('controlnet', { model: controlNetGraph({ textWidth: 768 }) })).facts, { base_family: 'sd1', has_conditioning_scale: true });
    assert.equal((await facts('controlnet', { model: controlNetGraph({ textWidth: 1024, conditioningScale: false }) })).facts.has_conditioning_scale, false);
    assert.equal((await facts('controlnet', { model: controlNetGraph({ textWidth: 1024 }) })).facts.base_family, 'sd2');
    assert.equal((await facts('controlnet', { model: controlNetGraph({ textWidth: 2048 }) })).facts.base_family, 'sdxl');
    assert.equal((await facts('controlnet', { model: controlNetGraph({ textWidth: 'w', xl: true }) })).facts.base_family, 'sdxl');
    const fromConfig = await facts('controlnet', { model: controlNetGraph({ textWidth: 'w' }) }, { config: { cross_attention_dim: 1024 } });
    assert.equal(fromConfig.facts.base_family, 'sd2');
    assert.deepEqual(fromConfig.config, { cross_attention_dim: 1024 });
    assert.equal((await facts('controlnet', { model: controlNetGraph({ textWidth: 'w' }) }, { config: { addition_embed_type: 'text_time', cross_attention_dim: 2048 } })).facts.base_family, 'sdxl');
  });

  it('controlnet: writes a config.json when none came; an unknown width needs base_family, a contradicting one is refused', async () => {
    const written = await facts('controlnet', { model: controlNetGraph({ textWidth: 768 }) });
    assert.deepEqual(written.config, { _class_name: 'ControlNetModel', cross_attention_dim: 768, addition_embed_type: null });
    await assert.rejects(facts('controlnet', { model: controlNetGraph({ textWidth: 32 }) }), (error: unknown) => refusedField(error) === 'base_family');
    assert.equal((await facts('controlnet', { model: controlNetGraph({ textWidth: 32 }) }, { supplied: { baseFamily: 'sd1' } })).facts.base_family, 'sd1');
    await assert.rejects(facts('controlnet', { model: controlNetGraph({ textWidth: 768 }) }, { supplied: { baseFamily: 'sdxl' } }), (error: unknown) => refusedField(error) === 'base_family');
  });

  it('controlnet: a graph without controlnet_cond (or of another kind) is refused naming the file field', async () => {
    await assert.rejects(facts('controlnet', { model: controlNetGraph({ withoutCond: true }) }), (error: unknown) => refusedField(error) === 'file');
    await assert.rejects(facts('controlnet', { model: upscalerGraph({ scale: 4 }) }), (error: unknown) => refusedField(error) === 'file');
  });

  it('upscaler: scale from static dims, else the supplied one; contradictions, missing scale and wrong ranks refused', async () => {
    assert.deepEqual((await facts('upscaler', { model: upscalerGraph({ scale: 4, side: 64 }) })).facts, { scale: 4, input_size: { width: 64, height: 64 } });
    assert.deepEqual((await facts('upscaler', { model: upscalerGraph({ scale: 2 }) }, { supplied: { scale: 2 } })).facts, { scale: 2, input_size: null });
    await assert.rejects(facts('upscaler', { model: upscalerGraph({ scale: 2 }) }), (error: unknown) => refusedField(error) === 'scale');
    await assert.rejects(facts('upscaler', { model: upscalerGraph({ scale: 4, side: 64 }) }, { supplied: { scale: 2 } }), (error: unknown) => refusedField(error) === 'scale');
    await assert.rejects(facts('upscaler', { model: upscalerGraph({ scale: 4, side: 64, outputRank: 3 }) }), (error: unknown) => refusedField(error) === 'file');
    for (const name of ['data', 'pixel_values', 'image']) assert.equal((await facts('upscaler', { model: upscalerGraph({ scale: 2, side: 8, inputName: name }) })).facts.scale, 2);
    await assert.rejects(facts('upscaler', { model: controlNetGraph() }), (error: unknown) => refusedField(error) === 'file');
  });

  it('face models and segmenters: input sizes, fidelity input, decoder layouts', async () => {
    assert.deepEqual((await facts('face_detector', { model: faceDetectorGraph() })).facts, { input_size: { width: 640, height: 640 } });
    assert.deepEqual((await facts('face_restorer', { model: faceRestorerGraph() })).facts, { input_size: { width: 512, height: 512 }, has_fidelity: true });
    assert.equal((await facts('face_restorer', { model: faceRestorerGraph({ fidelity: false }) })).facts.has_fidelity, false);
    assert.deepEqual((await facts('segmenter', { encoder: samEncoderGraph(), decoder: samDecoderGraph('sam') })).facts, { decoder_layout: 'sam', input_size: { width: 1024, height: 1024 } });
    assert.equal((await facts('segmenter', { encoder: samEncoderGraph(), decoder: samDecoderGraph('transformers') })).facts.decoder_layout, 'transformers');
    await assert.rejects(facts('segmenter', { encoder: samEncoderGraph(), decoder: samEncoderGraph() }), (error: unknown) => refusedField(error) === 'decoder');
    await assert.rejects(facts('segmenter', { encoder: samEncoderGraph() }), (error: unknown) => refusedField(error) === 'decoder');
  });

  it('preprocessors: depth, softedge (config.json model_type) and openpose (detector + pose)', async () => {
    assert.deepEqual((await facts('preprocessor', { model: depthGraph() }, { supplied: { preprocessor: 'depth' } })).facts, { preprocessor: 'depth' });
    await assert.rejects(facts('preprocessor', { model: depthGraph() }), (error: unknown) => refusedField(error) === 'preprocessor');
    await assert.rejects(facts('preprocessor', { model: upscalerGraph({ scale: 2, inputName: 'input' }) }, { supplied: { preprocessor: 'softedge' } }), (error: unknown) => refusedField(error) === 'config');
    assert.equal((await facts('preprocessor', { model: upscalerGraph({ scale: 2, inputName: 'input' }) }, { supplied: { preprocessor: 'softedge' }, config: { model_type: 'pidinet' } })).facts.preprocessor, 'softedge');
    const { detector, pose } = openposeGraphs();
    assert.equal((await facts('preprocessor', { detector, pose }, { supplied: { preprocessor: 'openpose' } })).facts.preprocessor, 'openpose');
    await assert.rejects(facts('preprocessor', { detector, pose: detector }, { supplied: { preprocessor: 'openpose' } }), (error: unknown) => refusedField(error) === 'pose');
  });
});
