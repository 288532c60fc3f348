import path from 'node:path';
import type { PreprocessRequestInput } from '@atelier/client';
import type { CliContext, Command } from '../context.js';
import type { ParsedArgs } from '../options.js';
import { UsageError } from '../usage-error.js';
import { followTask, imageReference, withoutUndefined } from './image-task-run.js';

const NAME = 'preprocess';
const PREPROCESSORS = ['canny', 'depth', 'softedge', 'scribble', 'openpose'] as const;
type Preprocessor = (typeof PREPROCESSORS)[number];

export const preprocessCommand: Command = {
  name: NAME,
  summary: 'run a ControlNet preprocessor on an image and download the control map',
  usage: 'preprocess IMAGE --preprocessor canny|depth|softedge|scribble|openpose --out DIR [options]',
  details: [
    'IMAGE is a PNG/JPEG/WebP file (sent inline) or an http(s) URL (fetched by the worker). Submits',
    'POST /v1/preprocess, follows the task and writes <task id>-control.<ext> into DIR. Ctrl-C cancels',
    'the task on the farm.',
  ].join('\n'),
  options: {
    preprocessor: { type: 'string', value: 'NAME', description: 'canny, depth, softedge, scribble or openpose' },
    out: { type: 'string', value: 'DIR', description: 'folder for the control map' },
    model: { type: 'string', value: 'NAME', description: 'preprocessor model (depth, softedge, scribble, openpose; default: the farm\'s)' },
    low: { type: 'string', value: 'N', description: 'canny low threshold (default 100)' },
    high: { type: 'string', value: 'N', description: 'canny high threshold (default 200)' },
    'detect-resolution': { type: 'string', value: 'PX', description: 'short side the detector works at (default 512)' },
    'image-resolution': { type: 'string', value: 'PX', description: "controlnet_aux's image_resolution" },
    width: { type: 'string', value: 'PX', description: 'output width (with --height; default: the image size)' },
    height: { type: 'string', value: 'PX', description: 'output height (with --width)' },
    face: { type: 'boolean', description: 'openpose: also draw face landmarks' },
    format: { type: 'string', value: 'png|jpeg|webp', description: 'output format (default png)' },
  },
  run: runPreprocess,
};

function isPreprocessor(value: string): value is Preprocessor {
  return (PREPROCESSORS as readonly string[]).includes(value);
}

async function runPreprocess(context: CliContext, args: ParsedArgs): Promise<number> {
  const { options } = args;
  if (args.positionals.length !== 1) throw new UsageError('expected one image (file or URL)', NAME);
  const preprocessor = options.requiredString('preprocessor', 'NAME');
  if (!isPreprocessor(preprocessor)) throw new UsageError(`--preprocessor must be one of ${PREPROCESSORS.join(', ')}`, NAME);
  const format = options.string('format');
  if (format !== undefined && format !== 'png' && format !== 'jpeg' && format !== 'webp') throw new UsageError('--format must be png, jpeg or webp', NAME);
  const outDir = path.resolve(options.requiredString('out', 'DIR'));
  const body: PreprocessRequestInput = {
    image: await imageReference(args.positionals[0], NAME),
    preprocessor,
    options: withoutUndefined({
      low_threshold: options.number('low'),
      high_threshold: options.number('high'),
      detect_resolution: options.integer('detect-resolution', 1),
      image_resolution: options.integer('image-resolution', 1),
      width: options.integer('width', 1),
      height: options.integer('height', 1),
      include_face: options.flag('face') || undefined,
    }),
    ...withoutUndefined({ model: options.string('model'), output_format: format }),
  };
  return followTask(context, () => context.client.createPreprocess(body), outDir);
}
