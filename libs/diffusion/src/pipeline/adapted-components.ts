import { adaptComponent, adaptedComponentKey, type LoraReport, type TokenEmbedding } from '@atelier/adapters';
import { readSafetensorsFile } from '@atelier/model-formats';
import type * as ort from 'onnxruntime-node';
import type { AdapterFile } from '../adapters/adapter-library.js';
import type { SessionLease, SessionPool } from '../runtime/session-pool.js';

export type AdaptableComponent = 'unet' | 'text_encoder' | 'text_encoder_2';

export interface ResolvedLora {
  readonly file: AdapterFile;
  readonly weight: number;
}

export interface RequestAdapters {
  readonly loras: readonly ResolvedLora[];
  readonly embeddings: readonly AdapterFile[];
}

export interface AdaptedSession {
  readonly session: ort.InferenceSession;
  readonly tokens: readonly TokenEmbedding[];
  readonly report: LoraReport | null;
}

/**
 * Sessions for a component with the request's LoRAs and embeddings merged in, cached in the
 * session pool under (model file, adapter set, weights): a repeated set pays its merge once.
 * What the merge learned (new token ids, unmatched LoRA keys) is remembered beside the session.
 */
export class AdaptedComponents {
  private readonly details = new Map<string, { tokens: readonly TokenEmbedding[]; report: LoraReport | null }>();
  mergeMs = 0;

  constructor(private readonly pool: SessionPool) {}

  async acquire(modelPath: string, component: AdaptableComponent, adapters: RequestAdapters, leases: SessionLease[]): Promise<AdaptedSession> {
    const embeddings = component === 'unet' ? [] : adapters.embeddings;
    if (adapters.loras.length === 0 && embeddings.length === 0) {
      const lease = await this.pool.acquire(modelPath);
      leases.push(lease);
      return { session: lease.session, tokens: [], report: null };
    }
    await this.pool.prepare(modelPath);
    const loraRefs = adapters.loras.map((lora) => ({ id: lora.file.id, name: lora.file.name, weight: lora.weight }));
    const embeddingRefs = embeddings.map((embedding) => ({ id: embedding.id, name: embedding.name }));
    const key = await adaptedComponentKey({
      modelPath,
      loras: loraRefs.map((ref) => ({ ...ref, file: { tensors: new Map(), metadata: {} } })),
      embeddings: embeddingRefs.map((ref) => ({ ...ref, file: { tensors: new Map(), metadata: {} } })),
    });
    const lease = await this.pool.acquireSource(key, async () => {
      const started = performance.now();
      const adapted = await adaptComponent({
        modelPath,
        component,
        loras: await Promise.all(adapters.loras.map(async (lora) => ({ id: lora.file.id, name: lora.file.name, weight: lora.weight, file: await readSafetensorsFile(lora.file.path) }))),
        embeddings: await Promise.all(embeddings.map(async (embedding) => ({ id: embedding.id, name: embedding.name, file: await readSafetensorsFile(embedding.path) }))),
      });
      this.details.set(key, { tokens: adapted.tokens, report: adapted.loraReport });
      this.mergeMs += performance.now() - started;
      return adapted.source;
    });
    leases.push(lease);
    const details = this.details.get(key) ?? { tokens: [], report: null };
    return { session: lease.session, ...details };
  }
}
