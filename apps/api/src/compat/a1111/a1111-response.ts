import { VERSION } from '@atelier/config';
import type { GenerationRecord } from '@atelier/contracts';
import type { A1111Kind, A1111Request } from './a1111-request.schema.js';
import { A1111_DEFAULTS } from './to-generation-request.js';

export interface A1111Response {
  readonly images: string[];
  readonly parameters: Record<string, unknown>;
  /** A JSON document in a string, as A1111 sends it. */
  readonly info: string;
}

/** "2024-05-01T12:34:56.789Z" → "20240501123456", A1111's job_timestamp. */
function jobTimestamp(iso: string): string {
  return iso.replace(/[-:T]/g, '').slice(0, 14);
}

/** The sampler as the worker named it in the infotext ("…, Sampler: DPM++ 2M Karras, …"). */
function samplerOf(infotext: string | undefined): string | undefined {
  const last = infotext?.split('\n').at(-1) ?? '';
  return /(?:^|, )Sampler: ([^,]+)/.exec(last)?.[1];
}

/**
 * A1111's response shape: base64 images (then the ControlNet maps), the request echoed with defaults filled in (source
 * images left out unless include_init_images, as A1111 does), and `info` with the real seeds
 * and the infotext stored in each PNG.
 */
export function toA1111Response(kind: A1111Kind, body: A1111Request, record: GenerationRecord, images: readonly Buffer[], infotexts: ReadonlyArray<string | undefined>): A1111Response {
  const request = record.request;
  // Generated images; ControlNet maps follow them in `images` (as sd-webui-controlnet appends its detected maps).
  const outputs = [...record.outputs].sort((a, b) => a.index - b.index).filter((output) => ['image', 'restored', 'upscaled'].includes(output.kind ?? 'image'));
  const samples = outputs.length;
  const sampler = samplerOf(infotexts[0]) ?? request.scheduler ?? null;
  const parameters: Record<string, unknown> = {
    ...body,
    prompt: request.prompt,
    negative_prompt: request.negative_prompt,
    styles: body.styles ?? [],
    seed: body.seed ?? -1,
    sampler_name: body.sampler_name ?? body.sampler_index ?? sampler,
    scheduler: body.scheduler ?? 'Automatic',
    batch_size: body.batch_size ?? 1,
    n_iter: body.n_iter ?? 1,
    steps: request.num_inference_steps,
    cfg_scale: request.guidance_scale,
    width: request.width ?? null,
    height: request.height ?? null,
    ...(kind === 'img2img'
      ? {
          denoising_strength: request.strength,
          init_images: body.include_init_images ? body.init_images : null,
          mask: body.include_init_images ? (body.mask ?? null) : null,
        }
      : { denoising_strength: body.denoising_strength ?? null }),
  };
  const info = {
    prompt: request.prompt,
    all_prompts: Array<string>(samples).fill(request.prompt),
    negative_prompt: request.negative_prompt,
    all_negative_prompts: Array<string>(samples).fill(request.negative_prompt),
    seed: outputs[0]?.seed ?? request.seed,
    all_seeds: outputs.map((output) => output.seed),
    subseed: -1,
    all_subseeds: Array<number>(samples).fill(-1),
    subseed_strength: 0,
    width: outputs[0]?.width ?? request.width ?? null,
    height: outputs[0]?.height ?? request.height ?? null,
    sampler_name: sampler,
    cfg_scale: request.guidance_scale,
    steps: request.num_inference_steps,
    batch_size: body.batch_size ?? 1,
    restore_faces: request.face_restore !== undefined,
    face_restoration_model: request.face_restore?.model ?? null,
    sd_model_name: request.model,
    sd_model_hash: null,
    sd_vae_name: null,
    sd_vae_hash: null,
    seed_resize_from_w: -1,
    seed_resize_from_h: -1,
    denoising_strength: kind === 'img2img' ? request.strength : (body.denoising_strength ?? A1111_DEFAULTS.denoising_strength),
    extra_generation_params: {},
    index_of_first_image: 0,
    infotexts: infotexts.slice(0, samples).map((text) => text ?? ''),
    styles: body.styles ?? [],
    job_timestamp: jobTimestamp(record.created_at),
    clip_skip: 1,
    version: `atelier-${VERSION}`,
    atelier_generation_id: record.id,
  };
  return {
    images: body.send_images === false ? [] : images.map((bytes) => bytes.toString('base64')),
    parameters,
    info: JSON.stringify(info),
  };
}
