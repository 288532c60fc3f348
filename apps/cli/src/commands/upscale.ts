import path from 'node:path';
import type { UpscaleRequestInput } from '@atelier/client';
import type { CliContext, Command } from '../context.js';
import type { ParsedArgs } from '../options.js';
import { UsageError } from '../usage-error.js';
import { followTask, taskSource, withoutUndefined } from './image-task-run.js';

const NAME = 'upscale';

export const upscaleCommand: Command = {
  name: NAME,
  summary: 'upscale an image (or one of your generations) with a registry upscaler, optionally restoring faces',
  usage: 'upscale IMAGE|GENERATION_ID --out DIR [options]',
  details: [
    'IMAGE is a PNG/JPEG/WebP file (sent inline) or an http(s) URL; gen_… upscales one of your generation',
    'outputs (--output-index). Submits POST /v1/upscales, follows the task and writes <task id>-image.<ext>',
    'and <task id>-source.png into DIR. Ctrl-C cancels the task on the farm.',
  ].join('\n'),
  options: {
    out: { type: 'string', value: 'DIR', description: 'folder for the result' },
    model: { type: 'string', value: 'NAME', description: 'upscaler model (default: the only/first one)' },
    scale: { type: 'string', value: 'N', description: "scale, at most the model's (default: the model's)" },
    'output-index': { type: 'string', value: 'N', description: 'which output of GENERATION_ID (default 0)' },
    'tile-size': { type: 'string', value: 'PX', description: 'tile side (default 256)' },
    'tile-overlap': { type: 'string', value: 'PX', description: 'tile overlap (default 32)' },
    'restore-faces': { type: 'boolean', description: 'restore faces after upscaling' },
    'face-model': { type: 'string', value: 'NAME', description: 'face restorer model (with --restore-faces)' },
    detector: { type: 'string', value: 'NAME', description: 'face detector model (with --restore-faces)' },
    fidelity: { type: 'string', value: 'F', description: 'CodeFormer fidelity 0..1 (default 0.5)' },
    visibility: { type: 'string', value: 'V', description: 'restored face visibility 0..1 (default 1)' },
    format: { type: 'string', value: 'png|jpeg|webp', description: 'output format (default png)' },
  },
  run: runUpscale,
};

async function runUpscale(context: CliContext, args: ParsedArgs): Promise<number> {
  const { options } = args;
  if (args.positionals.length !== 1) throw new UsageError('expected one image (file, URL or generation id)', NAME);
  const format = options.string('format');
  if (format !== undefined && format !== 'png' && format !== 'jpeg' && format !== 'webp') throw new UsageError('--format must be png, jpeg or webp', NAME);
  const faces = options.flag('restore-faces');
  const face = withoutUndefined({ model: options.string('face-model'), detector: options.string('detector'), fidelity: options.number('fidelity'), visibility: options.number('visibility') });
  if (!faces && Object.keys(face).length > 0) throw new UsageError('--face-model, --detector, --fidelity and --visibility go with --restore-faces', NAME);
  const outDir = path.resolve(options.requiredString('out', 'DIR'));
  const body: UpscaleRequestInput = {
    ...(await taskSource(args.positionals[0], options.integer('output-index', 0), NAME)),
    ...withoutUndefined({
      model: options.string('model'),
      scale: options.number('scale'),
      tile_size: options.integer('tile-size', 1),
      tile_overlap: options.integer('tile-overlap', 0),
      output_format: format,
    }),
    ...(faces ? { face_restore: face } : {}),
  };
  return followTask(context, () => context.client.createUpscale(body), outDir);
}
