import type { GenerationRequestInput } from '@atelier/client';
import { parseFaceRestoreFlag, parseHiresFlag, parseMaskPoint, parseUpscaleFlag } from './chained-step-flags.js';
import { parseControlNetFlag, readControlImage } from './controlnet-flag.js';
import { parseIpAdapterFlag } from './ip-adapter-flag.js';
import type { OptionSpecs, OptionValues } from './options.js';

/** Request fields as flags: `generate` sends them, `batch` uses them as defaults under every line. */
export const GENERATION_OPTIONS: OptionSpecs = {
  'negative-prompt': { type: 'string', value: 'TEXT', description: 'negative prompt' },
  scheduler: { type: 'string', value: 'NAME', description: 'sampler (see `atelier schedulers`)' },
  steps: { type: 'string', value: 'N', description: 'num_inference_steps' },
  guidance: { type: 'string', value: 'X', description: 'guidance_scale' },
  seed: { type: 'string', value: 'N', description: 'seed (-1: random)' },
  samples: { type: 'string', value: 'N', description: 'images per request' },
  width: { type: 'string', value: 'PX', description: 'img_width (multiple of 8)' },
  height: { type: 'string', value: 'PX', description: 'img_height (multiple of 8)' },
  model: { type: 'string', value: 'ID', description: 'model id (see `atelier models`)' },
  style: { type: 'string', value: 'ID', description: 'style preset (see `atelier styles`)' },
  controlnet: {
    type: 'string',
    multiple: true,
    value: 'SPEC',
    description: 'model=NAME,image=FILE|URL[,preprocessor=none|canny|depth|openpose|scribble|softedge,scale=1,start=0,end=1,low=100,high=200,detect=512]; repeat for Multi-ControlNet',
  },
  'guess-mode': { type: 'boolean', description: 'ControlNet guess mode (the nets see only the prompt side)' },
  'ip-adapter': { type: 'string', value: 'SPEC', description: 'model=NAME,image=FILE|URL[,image=…,scale=1]: IP-Adapter image prompt (1–4 images)' },
  upscale: { type: 'string', value: 'SPEC', description: 'model=NAME[,scale=X]: upscale each image (both kept)' },
  'face-restore': { type: 'string', value: 'SPEC', description: 'default | model=NAME,detector=NAME,fidelity=0.5,visibility=1: restore faces in each image' },
  hires: { type: 'string', value: 'SPEC', description: 'default | scale=2,upscaler=latent|latent-nearest|NAME,strength=0.7,steps=N,width=PX,height=PX: hires fix' },
  'init-image': { type: 'string', value: 'FILE|URL', description: 'img2img / inpainting source' },
  'mask-point': { type: 'string', multiple: true, value: 'X,Y[,negative]', description: 'click on the init image: inpaint the object there (Segment Anything); repeatable' },
  'mask-model': { type: 'string', value: 'NAME', description: 'segmenter for --mask-point (default: the first)' },
};

export type GenerationFields = Omit<GenerationRequestInput, 'prompt'>;

/** Only the flags given: absent ones stay absent so the server's defaults (or a batch line's fields) apply. */
export function generationFields(options: OptionValues): GenerationFields {
  const controlnets = options.list('controlnet').map((spec) => parseControlNetFlag(spec));
  const points = options.list('mask-point').map(parseMaskPoint);
  const [upscale, faceRestore, hires, initImage, maskModel] = [options.string('upscale'), options.string('face-restore'), options.string('hires'), options.string('init-image'), options.string('mask-model')];
  const fields: Record<string, unknown> = {
    negative_prompt: options.string('negative-prompt'),
    scheduler: options.string('scheduler'),
    num_inference_steps: options.integer('steps', 1),
    guidance_scale: options.number('guidance'),
    seed: options.integer('seed', -1),
    samples: options.integer('samples', 1),
    img_width: options.integer('width', 8),
    img_height: options.integer('height', 8),
    model: options.string('model'),
    style: options.string('style'),
    controlnets: controlnets.length > 0 ? controlnets : undefined,
    guess_mode: options.flag('guess-mode') ? true : undefined,
    ip_adapter: options.string('ip-adapter') === undefined ? undefined : parseIpAdapterFlag(options.string('ip-adapter') as string),
    upscale: upscale !== undefined ? parseUpscaleFlag(upscale) : undefined,
    face_restore: faceRestore !== undefined ? parseFaceRestoreFlag(faceRestore) : undefined,
    hires: hires !== undefined ? parseHiresFlag(hires) : undefined,
    init_image: initImage !== undefined ? readControlImage(initImage) : undefined,
    mask_prompt: points.length > 0 ? { points, ...(maskModel ? { model: maskModel } : {}) } : undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as GenerationFields;
}
