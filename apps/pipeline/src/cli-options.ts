import { parseArgs } from 'node:util';
import { z } from 'zod';
import { EXECUTION_DEVICES, describeExecutionDevices } from '@atelier/contracts';

/** `key=value,key=value` → object, for the repeatable structured flags. */
function keyValues(spec: string): Record<string, string> {
  return Object.fromEntries(
    spec
      .split(',')
      .filter((part) => part.trim() !== '')
      .map((part) => {
        const at = part.indexOf('=');
        return at < 0 ? [part.trim(), ''] : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
      }),
  );
}

const specObject = (value: unknown): unknown => (typeof value === 'string' ? keyValues(value) : value);

const controlNetSpecSchema = z
  .object({
    model: z.string().min(1, 'model=<ControlNet folder> is required'),
    image: z.string().min(1, 'image=<control map file> is required'),
    scale: z.coerce.number().finite().default(1),
    start: z.coerce.number().min(0).max(1).default(0),
    end: z.coerce.number().min(0).max(1).default(1),
  })
  .strict()
  .refine((spec) => spec.start <= spec.end, { message: 'start must not exceed end', path: ['start'] });

export type ControlNetSpec = z.infer<typeof controlNetSpecSchema>;

const promptEmbedsSpecSchema = z
  .object({
    prompt: z.string().min(1, 'prompt=<raw float32 file> is required'),
    negative: z.string().optional(),
    pooled: z.string().optional(),
    negative_pooled: z.string().optional(),
    tokens: z.coerce.number().int().positive().default(77),
  })
  .strict();

const cliSchema = z
  .object({
    model: z.string().min(1, 'is required: a model folder (diffusers ONNX layout)'),
    prompt: z.string().default('a red circle on a blue background'),
    negative_prompt: z.string().default(''),
    style: z.string().default('base'),
    scheduler: z.string().optional(),
    num_inference_steps: z.coerce.number().int().min(1).max(1000).optional(),
    guidance_scale: z.coerce.number().min(0).optional(),
    seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).default(0),
    samples: z.coerce.number().int().min(1).max(16).default(1),
    img_width: z.coerce.number().int().positive().optional(),
    img_height: z.coerce.number().int().positive().optional(),
    strength: z.coerce.number().min(0).max(1).default(0.8),
    init_image: z.string().optional(),
    mask_image: z.string().optional(),
    latents: z.string().optional(),
    output_raw: z.string().optional(),
    out: z.string().default('out/pipeline.png'),
    execution_provider: z.enum(EXECUTION_DEVICES).default('cpu'),
    init_latent_noise: z.string().optional(),
    prompt_embeds: z.preprocess(specObject, promptEmbedsSpecSchema).optional(),
    controlnet: z.array(z.preprocess(specObject, controlNetSpecSchema)).default([]),
    guess_mode: z.boolean().default(false),
    ip_adapter: z.string().min(1).optional(),
    ip_image: z.array(z.string().min(1)).default([]),
    ip_scale: z.coerce.number().finite().default(1),
  })
  .strict()
  .refine((options) => options.ip_image.length === 0 || options.ip_adapter !== undefined, { message: 'needs --ip-adapter DIR', path: ['ip_image'] })
  .refine((options) => options.ip_adapter === undefined || options.ip_image.length > 0, { message: 'needs at least one --ip-image FILE', path: ['ip_adapter'] });

export type PipelineCliOptions = z.infer<typeof cliSchema>;

const FLAG_HELP: Record<keyof PipelineCliOptions, string> = {
  model: 'model folder in the diffusers ONNX layout (required)',
  prompt: 'text prompt',
  negative_prompt: 'negative prompt',
  style: 'style preset applied to both prompts',
  scheduler: "scheduler name (e.g. Euler, UniPC, 'DPM++ 2M Karras'); the model's default when omitted",
  num_inference_steps: "denoising steps; the model's default when omitted (25; Turbo 1, LCM 4)",
  guidance_scale: "classifier-free guidance scale; the model's default when omitted (7.5; Turbo 0, LCM 1, SSD-1B/Vega 9)",
  seed: 'seed of the first image; further samples use seed+1, seed+2, ...',
  samples: 'images to generate',
  img_width: "width in pixels (the model's default when omitted)",
  img_height: "height in pixels (the model's default when omitted)",
  strength: 'img2img/inpainting strength',
  init_image: 'init image file (img2img)',
  mask_image: 'mask image file (inpainting; white is repainted)',
  latents: 'initial latents as raw float32 (to compare with another implementation)',
  output_raw: 'also write the decoded pixels as raw float32 NHWC in [0,1]',
  out: 'output PNG path (numbered when samples > 1)',
  execution_provider: describeExecutionDevices(),
  init_latent_noise: "unit noise for the init image's VAE latent sample, raw float32 (diffusers' latent_dist.sample()); default: the latent mean",
  prompt_embeds: 'prompt=<f32>[,negative=<f32>,pooled=<f32>,negative_pooled=<f32>,tokens=77]: raw float32 prompt embeddings instead of prompts (no text encoders needed)',
  controlnet:
    'model=<dir>,image=<png>[,scale=1,start=0,end=1]: a ControlNet folder (model.onnx + config.json) and its control map (already preprocessed); repeat for Multi-ControlNet',
  guess_mode: "ControlNets see only the conditional half and their residuals ramp up (diffusers' guess_mode)",
  ip_adapter: 'IP-Adapter folder (image_encoder/, projection/ or image_proj/, config.json); the model folder needs ip_unet/ (ip_controlnet/ with --controlnet)',
  ip_image: 'image prompt file for --ip-adapter; repeat for several images (their tokens are concatenated, as diffusers does)',
  ip_scale: 'IP-Adapter scale; 0 is exactly no adapter, other values than 1 need a UNet with an ipadapter_scale input',
};

/** `--help` / `-h` anywhere asks for the usage text, whatever else is given. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--help' || arg === '-h');
}

/** The usage text `npm run pipeline -- --help` prints, one line per flag with its default. */
export function pipelineUsage(): string {
  const defaults = cliSchema.parse({ model: '-' });
  const lines = Object.entries(FLAG_HELP).map(([name, help]) => {
    const value = name === 'model' ? undefined : (defaults as Record<string, unknown>)[name];
    const suffix = value === undefined || value === '' || value === false || (Array.isArray(value) && value.length === 0) ? '' : ` (default: ${String(value)})`;
    return `  --${name.replaceAll('_', '-').padEnd(22)} ${help}${suffix}`;
  });
  return [
    'Usage: npm run pipeline -- --model DIR [options]',
    '',
    'One generation in-process (no Redis, no API); writes a PNG with its parameters.',
    'Flags take dashes or underscores (--negative-prompt or --negative_prompt).',
    '',
    'Options:',
    ...lines,
    `  --${'help'.padEnd(22)} print this text and exit`,
  ].join('\n');
}

/** `--flag value` pairs; request field names work with dashes or underscores. */
export function parsePipelineArgs(argv: readonly string[]): PipelineCliOptions {
  const names = Object.keys(FLAG_HELP);
  const kind = (name: string): { type: 'string' | 'boolean'; multiple?: boolean } =>
    name === 'guess_mode' ? { type: 'boolean' } : name === 'controlnet' || name === 'ip_image' ? { type: 'string', multiple: true } : { type: 'string' };
  const options = Object.fromEntries(names.flatMap((name) => [name, name.replaceAll('_', '-')].map((flag) => [flag, kind(name)])));
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n\n${pipelineUsage()}`, { cause: error });
  }
  const normalized: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const name = key.replaceAll('-', '_');
    // --controlnet and --control-net-style spellings of a repeatable flag add up.
    normalized[name] = Array.isArray(value) && Array.isArray(normalized[name]) ? [...(normalized[name] as unknown[]), ...value] : value;
  }
  const parsed = cliSchema.safeParse(normalized);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `--${issue.path.join('.') || issue.message}: ${issue.message}`).join('\n'));
  }
  return parsed.data;
}
