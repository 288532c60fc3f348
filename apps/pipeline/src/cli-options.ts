import { parseArgs } from 'node:util';
import { z } from 'zod';

const cliSchema = z
  .object({
    model: z.string().min(1, 'is required: a model folder (diffusers ONNX layout)'),
    prompt: z.string().default('a red circle on a blue background'),
    negative_prompt: z.string().default(''),
    style: z.string().default('base'),
    scheduler: z.string().optional(),
    num_inference_steps: z.coerce.number().int().min(1).max(1000).default(25),
    guidance_scale: z.coerce.number().min(0).default(7.5),
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
    execution_provider: z.enum(['cpu', 'cuda', 'tensorrt', 'webgpu']).default('cpu'),
  })
  .strict();

export type PipelineCliOptions = z.infer<typeof cliSchema>;

/** `--flag value` pairs; request field names work with dashes or underscores. */
export function parsePipelineArgs(argv: readonly string[]): PipelineCliOptions {
  const names = Object.keys(cliSchema.shape);
  const options = Object.fromEntries(names.flatMap((name) => [name, name.replaceAll('_', '-')].map((flag) => [flag, { type: 'string' as const }])));
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const flags = names.map((name) => `--${name.replaceAll('_', '-')}`).join(' ');
    throw new Error(`${(error as Error).message}\nflags: ${flags}`, { cause: error });
  }
  const normalized = Object.fromEntries(Object.entries(values).map(([key, value]) => [key.replaceAll('-', '_'), value]));
  const parsed = cliSchema.safeParse(normalized);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `--${issue.path.join('.') || issue.message}: ${issue.message}`).join('\n'));
  }
  return parsed.data;
}
