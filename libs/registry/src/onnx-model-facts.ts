import type { OnnxModelSignature, OnnxValueSignature } from '@atelier/onnx-graph';
import type { ControlNetFamily, OnnxGraphRole, OnnxModelKind, OnnxModelManifest, OnnxPreprocessor } from './onnx-model-manifest.js';
import { OnnxModelImportError } from './onnx-model-errors.js';
import { ipAdapterFacts } from './onnx-ip-adapter-facts.js';

/** What the importer may state that the graph cannot always tell. */
export interface SuppliedFacts {
  readonly baseFamily?: ControlNetFamily;
  readonly scale?: number;
  readonly preprocessor?: OnnxPreprocessor;
}

export type ModelFacts = Pick<OnnxModelManifest, 'base_family' | 'has_conditioning_scale' | 'scale' | 'preprocessor' | 'input_size' | 'has_fidelity' | 'decoder_layout' | 'plus' | 'tokens'>;

/** Derived facts, and the config.json to store with the model (a ControlNet always gets one). */
export interface DerivedModel {
  readonly facts: ModelFacts;
  readonly config: Record<string, unknown> | undefined;
}

export interface FactsInput {
  readonly kind: OnnxModelKind;
  readonly graphs: Partial<Record<OnnxGraphRole, OnnxModelSignature>>;
  readonly config: Record<string, unknown> | undefined;
  readonly supplied: SuppliedFacts;
  /** The request field a file's problems are reported against (`file`, `source`, `decoder`…). */
  readonly fieldOf: (role: OnnxGraphRole | 'config') => string;
}

const IMAGE_INPUTS = ['input', 'data', 'pixel_values', 'image', 'x', 'images', 'input_image'];
const UPSCALER_INPUTS = ['input', 'data', 'pixel_values', 'image'];
const WIDTH_FAMILY: Readonly<Record<number, ControlNetFamily>> = { 768: 'sd1', 1024: 'sd2', 2048: 'sdxl' };

/** The graph files a kind needs, by role. */
export function graphRolesOf(kind: OnnxModelKind, preprocessor: OnnxPreprocessor | undefined): OnnxGraphRole[] {
  if (kind === 'segmenter') return ['encoder', 'decoder'];
  if (kind === 'preprocessor' && preprocessor === 'openpose') return ['detector', 'pose'];
  if (kind === 'ip_adapter') return ['image_encoder', 'projection'];
  return ['model'];
}

/**
 * Checks the graphs against what their kind needs (names and ranks the runners look for) and
 * reads the kind's facts: a ControlNet's family and scale input, an upscaler's scale, a fixed
 * input size. Throws OnnxModelImportError naming the field at fault.
 */
export function deriveModelFacts(input: FactsInput): DerivedModel {
  const graph = (role: OnnxGraphRole): OnnxModelSignature => {
    const found = input.graphs[role];
    if (!found) throw new OnnxModelImportError('invalid_model', input.fieldOf(role), `a ${input.kind} needs the ${role} graph`);
    return found;
  };
  switch (input.kind) {
    case 'controlnet':
      return controlnet(graph('model'), input);
    case 'upscaler':
      return { facts: upscaler(graph('model'), input), config: input.config };
    case 'preprocessor':
      return { facts: preprocessor(input, graph), config: input.config };
    case 'face_detector': {
      const model = graph('model');
      const image = imageInput(model, IMAGE_INPUTS, input.fieldOf('model'), 'a face detector');
      return { facts: { input_size: staticSize(image) }, config: input.config };
    }
    case 'face_restorer': {
      const model = graph('model');
      const image = imageInput(model, ['input', 'x', 'image', 'pixel_values'], input.fieldOf('model'), 'a face restorer');
      requireImageOutput(model, input.fieldOf('model'), 'a face restorer');
      return { facts: { input_size: staticSize(image), has_fidelity: has(model.inputs, 'weight') }, config: input.config };
    }
    case 'segmenter':
      return { facts: segmenter(graph('encoder'), graph('decoder'), input), config: input.config };
    case 'ip_adapter':
      return ipAdapterFacts({ encoder: graph('image_encoder'), projection: graph('projection'), config: input.config, baseFamily: input.supplied.baseFamily, fieldOf: input.fieldOf });
  }
}

function controlnet(model: OnnxModelSignature, input: FactsInput): DerivedModel {
  const field = input.fieldOf('model');
  const missing = ['sample', 'timestep', 'encoder_hidden_states', 'controlnet_cond'].filter((name) => !has(model.inputs, name));
  if (missing.length > 0) throw new OnnxModelImportError('invalid_model', field, `not a ControlNet export: missing input ${missing.join(', ')} (inputs are ${names(model.inputs)})`);
  if (model.outputs.length < 2) throw new OnnxModelImportError('invalid_model', field, 'not a ControlNet export: it should output the down-block and mid-block residuals');
  const fromConfig = familyFromConfig(input.config);
  const text = model.inputs.find((value) => value.name === 'encoder_hidden_states');
  const width = text?.dims[text.dims.length - 1];
  const xlInputs = has(model.inputs, 'text_embeds') && has(model.inputs, 'time_ids');
  const fromGraph = xlInputs ? 'sdxl' : typeof width === 'number' ? WIDTH_FAMILY[width] : undefined;
  const derived = fromConfig ?? fromGraph;
  const supplied = input.supplied.baseFamily;
  if (derived && supplied && derived !== supplied) throw new OnnxModelImportError('invalid_model', 'base_family', `the ControlNet is for ${derived} (from ${fromConfig ? 'config.json' : 'its inputs'}), not ${supplied}`);
  const family = derived ?? supplied;
  if (!family) throw new OnnxModelImportError('invalid_model', 'base_family', 'the family cannot be read from config.json or the encoder_hidden_states width: give base_family (sd1, sd2 or sdxl)');
  const crossAttentionDim = family === 'sdxl' ? 2048 : family === 'sd2' ? 1024 : 768;
  // Workers open a ControlNet folder by its config.json: one is written when the import had none.
  const config = input.config ?? { _class_name: 'ControlNetModel', cross_attention_dim: typeof width === 'number' ? width : crossAttentionDim, addition_embed_type: family === 'sdxl' ? 'text_time' : null };
  return { facts: { base_family: family, has_conditioning_scale: has(model.inputs, 'conditioning_scale') }, config };
}

/** diffusers' ControlNetModel config: `addition_embed_type: text_time` is SDXL, else the cross-attention width. */
export function familyFromConfig(config: Record<string, unknown> | undefined): ControlNetFamily | undefined {
  if (!config) return undefined;
  if (config.addition_embed_type === 'text_time') return 'sdxl';
  const cross = Array.isArray(config.cross_attention_dim) ? (config.cross_attention_dim as unknown[])[0] : config.cross_attention_dim;
  return typeof cross === 'number' ? WIDTH_FAMILY[cross] : undefined;
}

function upscaler(model: OnnxModelSignature, input: FactsInput): ModelFacts {
  const field = input.fieldOf('model');
  const image = imageInput(model, UPSCALER_INPUTS, field, 'an upscaler');
  const output = requireImageOutput(model, field, 'an upscaler');
  const inSide = image.dims[2];
  const outSide = output.dims[2];
  const derived = typeof inSide === 'number' && typeof outSide === 'number' && inSide > 0 && outSide % inSide === 0 ? outSide / inSide : undefined;
  const supplied = input.supplied.scale;
  if (derived !== undefined && supplied !== undefined && derived !== supplied) throw new OnnxModelImportError('invalid_model', 'scale', `the graph upscales by ${derived} (${inSide} → ${outSide}), not ${supplied}`);
  const scale = derived ?? supplied;
  if (scale === undefined) throw new OnnxModelImportError('invalid_model', 'scale', 'the graph has dynamic sizes: give scale (the factor it upscales by)');
  return { scale, input_size: staticSize(image) };
}

function preprocessor(input: FactsInput, graph: (role: OnnxGraphRole) => OnnxModelSignature): ModelFacts {
  const kind = input.supplied.preprocessor;
  if (!kind) throw new OnnxModelImportError('invalid_model', 'preprocessor', 'give preprocessor: depth, softedge or openpose');
  if (kind === 'openpose') {
    imageInput(graph('detector'), ['images', 'input'], input.fieldOf('detector'), 'an openpose person detector');
    const pose = graph('pose');
    imageInput(pose, ['input'], input.fieldOf('pose'), 'an openpose (DWPose) pose model');
    if (!has(pose.outputs, 'simcc_x') || !has(pose.outputs, 'simcc_y')) throw new OnnxModelImportError('invalid_model', input.fieldOf('pose'), `a DWPose model outputs simcc_x and simcc_y (outputs are ${names(pose.outputs)})`);
    return { preprocessor: kind };
  }
  const model = graph('model');
  if (kind === 'depth') imageInput(model, ['pixel_values', 'image'], input.fieldOf('model'), 'a depth model');
  else {
    imageInput(model, ['image', 'input', 'x'], input.fieldOf('model'), 'a soft-edge model');
    const family = input.config?.model_type;
    // SoftedgeDetector picks HED or PiDiNet pre/post-processing from config.json.
    if (family !== 'hed' && family !== 'pidinet') throw new OnnxModelImportError('invalid_model', input.fieldOf('config'), 'a softedge preprocessor needs config.json with model_type hed or pidinet');
  }
  return { preprocessor: kind };
}

function segmenter(encoder: OnnxModelSignature, decoder: OnnxModelSignature, input: FactsInput): ModelFacts {
  const image = imageInput(encoder, ['x', 'pixel_values', 'input_image', 'image', 'input'], input.fieldOf('encoder'), 'a SAM image encoder');
  if (!has(encoder.outputs, 'image_embeddings') && encoder.outputs.length !== 1) throw new OnnxModelImportError('invalid_model', input.fieldOf('encoder'), `a SAM image encoder outputs image_embeddings (outputs are ${names(encoder.outputs)})`);
  if (!has(decoder.inputs, 'image_embeddings')) throw new OnnxModelImportError('invalid_model', input.fieldOf('decoder'), `a SAM prompt decoder takes image_embeddings (inputs are ${names(decoder.inputs)})`);
  const official = has(decoder.inputs, 'point_coords') && has(decoder.inputs, 'point_labels');
  const transformers = has(decoder.inputs, 'input_points') && has(decoder.inputs, 'input_labels');
  if (!official && !transformers) throw new OnnxModelImportError('invalid_model', input.fieldOf('decoder'), 'a SAM prompt decoder takes point_coords and point_labels (official export) or input_points and input_labels (transformers.js)');
  const masks = official ? 'masks' : 'pred_masks';
  if (!has(decoder.outputs, masks)) throw new OnnxModelImportError('invalid_model', input.fieldOf('decoder'), `the decoder should output ${masks} (outputs are ${names(decoder.outputs)})`);
  return { decoder_layout: official ? 'sam' : 'transformers', input_size: staticSize(image) };
}

function has(values: readonly OnnxValueSignature[], name: string): boolean {
  return values.some((value) => value.name === name);
}

function names(values: readonly OnnxValueSignature[]): string {
  return values.map((value) => value.name).join(', ') || 'none';
}

/** The one 4-D image input, named like one of `preferred` (or the only input). */
function imageInput(model: OnnxModelSignature, preferred: readonly string[], field: string, what: string): OnnxValueSignature {
  const named = model.inputs.find((value) => preferred.includes(value.name)) ?? (model.inputs.length === 1 ? model.inputs[0] : undefined);
  if (!named) throw new OnnxModelImportError('invalid_model', field, `${what} takes an image input named ${preferred.join(', ')} (inputs are ${names(model.inputs)})`);
  if (named.dims.length !== 4) throw new OnnxModelImportError('invalid_model', field, `${what}'s input ${named.name} should be 4-D [batch, channels, height, width], not [${named.dims.join(', ')}]`);
  return named;
}

function requireImageOutput(model: OnnxModelSignature, field: string, what: string): OnnxValueSignature {
  const output = model.outputs.find((value) => value.name === 'output') ?? model.outputs[0];
  if (output.dims.length !== 4) throw new OnnxModelImportError('invalid_model', field, `${what}'s output ${output.name} should be a 4-D image, not [${output.dims.join(', ')}]`);
  return output;
}

function staticSize(value: OnnxValueSignature): { width: number; height: number } | null {
  const [, , height, width] = value.dims;
  return typeof height === 'number' && typeof width === 'number' && height > 0 && width > 0 ? { width, height } : null;
}
