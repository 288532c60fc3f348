// One entry point for the pipeline: a component model plus the LoRAs and embeddings a request
// names → a SessionSource keyed by (model, adapter set, weights). The pool looks the key up first
// and only calls this on a miss; a request without adapters gets the base model file itself.
import { adapterSetKey, canonicalAdapters, fileIdentity } from './adapter-set-key.js';
import type { InitializerUpdate } from './initializer-update.js';
import type { ComponentName } from './key-mapping/components.js';
import { planLoraMerge, type LoraReport, type LoraSource } from './lora.js';
import { createMergedModel, type GraphPatch, type MergeOptions } from './merged-model.js';
import { materializeMergedModel } from './model-cache.js';
import { ModelGraph } from './model-graph.js';
import { OnnxModel } from './onnx-model.js';
import { fileSessionSource, mergedSessionSource, modelFileBytes, type SessionSource } from './session-source.js';
import { planTextualInversion, type EmbeddingSource, type TokenEmbedding } from './textual-inversion.js';

export interface AdaptComponentRequest {
  readonly modelPath: string;
  readonly component: ComponentName;
  readonly loras?: readonly (LoraSource & { readonly id: string })[];
  readonly embeddings?: readonly (EmbeddingSource & { readonly id: string })[];
  /** Write merged models here (content-addressed) instead of keeping them in memory. */
  readonly cacheDir?: string;
  readonly merge?: Omit<MergeOptions, 'patches'>;
}

export interface AdaptedComponent {
  readonly source: SessionSource;
  readonly loraReport: LoraReport | null;
  /** New tokens the tokenizer must emit for each embedding name (text encoders only). */
  readonly tokens: readonly TokenEmbedding[];
}

/** The pool key of a request, computed without loading anything but file metadata. */
export async function adaptedComponentKey(request: Pick<AdaptComponentRequest, 'modelPath' | 'loras' | 'embeddings'>): Promise<string> {
  return adapterSetKey(await fileIdentity(request.modelPath), adapterRefs(request));
}

export async function adaptComponent(request: AdaptComponentRequest): Promise<AdaptedComponent> {
  const key = await adaptedComponentKey(request);
  const refs = canonicalAdapters(adapterRefs(request));
  const loras = refs.flatMap((ref) => (ref.kind === 'lora' ? [ref.source as LoraSource] : []));
  const embeddings = refs.flatMap((ref) => (ref.kind === 'embedding' ? [ref.source as EmbeddingSource] : []));
  const textEncoder = request.component === 'text_encoder' || request.component === 'text_encoder_2';
  const lorable = textEncoder || request.component === 'unet';
  if ((loras.length === 0 || !lorable) && (embeddings.length === 0 || !textEncoder)) {
    return { source: fileSessionSource(key, request.modelPath, await modelFileBytes(request.modelPath)), loraReport: null, tokens: [] };
  }

  const model = await OnnxModel.load(request.modelPath);
  const updates = new Map<string, InitializerUpdate>();
  const patches: GraphPatch[] = [];
  let loraReport: LoraReport | null = null;
  if (loras.length > 0 && lorable) {
    const plan = await planLoraMerge({ component: request.component as 'unet' | 'text_encoder' | 'text_encoder_2', graph: new ModelGraph(model) }, loras);
    for (const [name, values] of plan.updates) updates.set(name, values);
    loraReport = plan.report;
  }
  let tokens: readonly TokenEmbedding[] = [];
  if (embeddings.length > 0 && textEncoder) {
    const plan = await planTextualInversion(model, embeddings, { encoder: request.component as 'text_encoder' | 'text_encoder_2' });
    for (const [name, update] of plan.updates) updates.set(name, update);
    patches.push(...plan.patches);
    tokens = plan.tokens;
  }

  if (request.cacheDir !== undefined) {
    const cached = await materializeMergedModel(request.cacheDir, key, model, updates, patches);
    return { source: fileSessionSource(key, cached.path, await modelFileBytes(cached.path)), loraReport, tokens };
  }
  const merged = await createMergedModel(model, updates, { ...request.merge, patches });
  return { source: mergedSessionSource(key, merged), loraReport, tokens };
}

function adapterRefs(request: Pick<AdaptComponentRequest, 'loras' | 'embeddings'>) {
  return [
    ...(request.loras ?? []).map((lora) => ({ kind: 'lora' as const, id: lora.id, weight: lora.weight, source: lora })),
    ...(request.embeddings ?? []).map((embedding) => ({ kind: 'embedding' as const, id: embedding.id, source: embedding })),
  ];
}
