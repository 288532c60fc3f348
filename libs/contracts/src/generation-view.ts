import type { GenerationStatus } from './generation-status.js';
import type { GenerationParameters, ResolvedGeneration } from './resolved-generation.js';

/**
 * `image`: a generated picture (the base image when steps are chained); `restored` / `upscaled`:
 * that image after the chained steps (`upscaled` when an upscale ran, face restoration included;
 * `restored` when only faces were restored), `source_index` naming the base image; `mask`: the
 * inpainting mask made from `mask_prompt`; `control`: the control map a ControlNet was given.
 */
export type OutputKind = 'image' | 'control' | 'restored' | 'upscaled' | 'mask';
export const OUTPUT_KINDS: readonly OutputKind[] = ['image', 'control', 'restored', 'upscaled', 'mask'];

/** Which ControlNet of the request (`controlnets[index]`) a control output belongs to. */
export interface ControlOutputSource {
  readonly index: number;
  readonly model: string;
  readonly preprocessor: string;
}

export interface StoredOutput {
  readonly index: number;
  /** Absent in records written before control outputs existed: those are images. */
  readonly kind?: OutputKind;
  readonly controlnet?: ControlOutputSource;
  /** `restored`/`upscaled` outputs: the index of the base image they were made from. */
  readonly source_index?: number;
  readonly key: string;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly content_type: string;
}

/** LoRAs and embeddings a worker applied, with what their keys matched. */
export interface AppliedAdaptersView {
  readonly loras: ReadonlyArray<{ readonly name: string; readonly weight: number; readonly applied: number; readonly unmatched: number; readonly unmatched_examples: readonly string[] }>;
  readonly embeddings: readonly string[];
  readonly merge_ms: number;
}

export interface GenerationError {
  readonly code: string;
  readonly message: string;
}

export interface GenerationTimings {
  readonly queue_wait_ms?: number;
  readonly inference_ms?: number;
  readonly upload_ms?: number;
  readonly total_ms?: number;
  /** Jobs that shared the UNet batch this generation ran in (1: alone). */
  readonly batch_size?: number;
}

/** What Redis holds for one generation (the single source of truth for its state). */
export interface GenerationRecord {
  readonly id: string;
  /** Owner: only callers of this tenant can see the generation and its outputs. */
  readonly tenant: string;
  /** The capability-class queue the job was routed to. */
  readonly queue: string;
  readonly status: GenerationStatus;
  readonly request: ResolvedGeneration;
  readonly batch_id?: string;
  readonly progress: { readonly step: number; readonly total: number };
  readonly outputs: readonly StoredOutput[];
  readonly adapters?: AppliedAdaptersView;
  readonly error?: GenerationError;
  readonly timings: GenerationTimings;
  readonly warnings: readonly string[];
  readonly attempts: number;
  readonly worker_id?: string;
  readonly cancel_requested: boolean;
  readonly created_at: string;
  readonly started_at?: string;
  readonly finished_at?: string;
}

export interface OutputView {
  readonly kind: OutputKind;
  /** Control outputs: the ControlNet whose map this is. */
  readonly controlnet?: ControlOutputSource;
  readonly source_index?: number;
  readonly url?: string;
  readonly base64?: string;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly content_type: string;
}

/** GET /v1/generations/{id} and every generation webhook body. */
export interface GenerationView {
  readonly id: string;
  readonly object: 'generation';
  readonly status: GenerationStatus;
  readonly model: string;
  readonly batch_id?: string;
  readonly progress: { readonly step: number; readonly total: number };
  readonly outputs: readonly OutputView[];
  readonly adapters?: AppliedAdaptersView | null;
  readonly error: GenerationError | null;
  readonly timings: GenerationTimings;
  readonly warnings: readonly string[];
  readonly attempts: number;
  readonly parameters: GenerationParameters;
  readonly created_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
}
