import type { LoadedModel } from '../models/loaded-model.js';
import type { SessionLease } from '../runtime/session-pool.js';
import { TokenInjectingTokenizer } from '../adapters/token-injecting-tokenizer.js';
import { tokenizeWeightedPrompt } from '../text/prompt-chunks.js';
import type { AdaptedComponents, RequestAdapters } from './adapted-components.js';
import { GenerationCanceledError, UnsupportedRequestError } from './errors.js';
import type { GenerationHooks, GenerationParams, GenerationResult } from './stable-diffusion.js';

/** One request of a UNet batch shared across requests (see `generateTogether`). */
export interface BatchRequest {
  readonly params: GenerationParams;
  readonly hooks?: GenerationHooks;
}

export type LoraReports = Map<string, { applied: number; unmatched: number; examples: string[] }>;

/** A request inside a shared batch: its own prompts, seeds, adapters report and outcome. */
export interface Member {
  readonly params: GenerationParams;
  readonly hooks: GenerationHooks;
  readonly adapters: RequestAdapters;
  readonly reports: LoraReports;
  readonly settled: boolean;
  settle(result: GenerationResult | undefined, error?: unknown): void;
}

/** A promise with its own settle-once handle (a request's outcome inside a shared batch). */
export function settleable<V>(): { promise: Promise<V>; settle(result: V | undefined, error?: unknown): void; isSettled(): boolean } {
  let settled = false;
  let resolve: (result: V) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<V>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return {
    promise,
    settle: (result, error) => {
      if (settled) return;
      settled = true;
      if (result) resolve(result);
      else reject(error);
    },
    isSettled: () => settled,
  };
}

/**
 * A canceled request leaves the batch at the step boundary (its promise rejects at once); the
 * others go on with its rows still in the batch, so their pixels do not depend on it. When no
 * request is left, the loop stops.
 */
export function dropCanceled(members: readonly Member[]): void {
  for (const member of members) {
    const signal = member.hooks.signal;
    if (!member.settled && signal?.aborted) member.settle(undefined, new GenerationCanceledError(signal.reason));
  }
  if (members.every((member) => member.settled)) throw new GenerationCanceledError(members[0].hooks.signal?.reason);
}

/** What must be equal for requests to share one UNet batch; prompts, seeds and samples may differ. */
export function checkBatchable(members: readonly Member[]): void {
  const [first, ...others] = members;
  const loras = (member: Member): string =>
    member.adapters.loras
      .map((lora) => `${lora.file.id}:${lora.weight}`)
      .sort()
      .join(',');
  for (const other of others) {
    const a = first.params;
    const b = other.params;
    const differs = (['steps', 'guidanceScale', 'scheduler', 'width', 'height'] as const).find((field) => a[field] !== b[field]);
    if (differs) throw new UnsupportedRequestError('batch', `requests with different ${differs} cannot share a UNet batch`);
    const alone = (params: typeof a): boolean =>
      Boolean(params.initImage || params.initLatents || params.keepLatents || params.maskImage || params.refiner || params.latents || params.controlnets?.length || params.conditioning?.length || params.promptEmbeds);
    if (alone(a) || alone(b)) {
      throw new UnsupportedRequestError('batch', 'image-to-image, inpainting, refiner, ControlNet, image-prompt, prompt-embedding and explicit-latents requests run alone');
    }
    if (loras(first) !== loras(other)) throw new UnsupportedRequestError('batch', 'requests with different LoRAs cannot share a UNet batch');
  }
}

/**
 * Requests whose prompts encode to the same number of 77-token chunks (per text encoder, with
 * their embeddings' tokens), in order: only those can share the UNet's text-conditioning input.
 */
export async function chunkCountGroups(components: AdaptedComponents, model: LoadedModel, members: readonly Member[], leases: SessionLease[]): Promise<Member[][]> {
  const files = model.folder.components;
  const encoders = [
    { file: files.textEncoder, component: 'text_encoder' as const, tokenizer: model.tokenizer },
    { file: files.textEncoder2, component: 'text_encoder_2' as const, tokenizer: model.tokenizer2 },
  ];
  const groups = new Map<string, Member[]>();
  for (const member of members) {
    const counts: string[] = [];
    for (const encoder of encoders) {
      if (!encoder.file || !encoder.tokenizer) continue;
      const adapted = await components.acquire(encoder.file, encoder.component, member.adapters, leases);
      const tokenizer = new TokenInjectingTokenizer(encoder.tokenizer, new Map(adapted.tokens.map((token) => [token.name, token.ids])));
      const positive = tokenizeWeightedPrompt(tokenizer, member.params.prompt).chunks.length;
      const negative = tokenizeWeightedPrompt(tokenizer, member.params.negativePrompt).chunks.length;
      counts.push(`${positive}/${negative}`);
    }
    const key = counts.join(' ');
    groups.set(key, [...(groups.get(key) ?? []), member]);
  }
  return [...groups.values()];
}
