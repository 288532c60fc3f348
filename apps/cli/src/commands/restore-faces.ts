import path from 'node:path';
import type { FaceRestorationRequestInput } from '@atelier/client';
import type { CliContext, Command } from '../context.js';
import type { ParsedArgs } from '../options.js';
import { UsageError } from '../usage-error.js';
import { followTask, taskSource, withoutUndefined } from './image-task-run.js';

const NAME = 'restore-faces';

export const restoreFacesCommand: Command = {
  name: NAME,
  summary: 'restore faces in an image (or one of your generations) with registry face models',
  usage: 'restore-faces IMAGE|GENERATION_ID --out DIR [options]',
  details: [
    'IMAGE is a PNG/JPEG/WebP file (sent inline) or an http(s) URL; gen_… uses one of your generation',
    'outputs (--output-index). Submits POST /v1/face-restorations, follows the task and writes',
    '<task id>-image.<ext> and <task id>-source.png into DIR. Ctrl-C cancels the task on the farm.',
  ].join('\n'),
  options: {
    out: { type: 'string', value: 'DIR', description: 'folder for the result' },
    model: { type: 'string', value: 'NAME', description: 'face restorer model (default: the only/first one)' },
    detector: { type: 'string', value: 'NAME', description: 'face detector model (default: the only/first one)' },
    fidelity: { type: 'string', value: 'F', description: 'CodeFormer fidelity 0..1 (default 0.5)' },
    visibility: { type: 'string', value: 'V', description: 'restored face visibility 0..1 (default 1)' },
    'output-index': { type: 'string', value: 'N', description: 'which output of GENERATION_ID (default 0)' },
    format: { type: 'string', value: 'png|jpeg|webp', description: 'output format (default png)' },
  },
  run: runRestoreFaces,
};

async function runRestoreFaces(context: CliContext, args: ParsedArgs): Promise<number> {
  const { options } = args;
  if (args.positionals.length !== 1) throw new UsageError('expected one image (file, URL or generation id)', NAME);
  const format = options.string('format');
  if (format !== undefined && format !== 'png' && format !== 'jpeg' && format !== 'webp') throw new UsageError('--format must be png, jpeg or webp', NAME);
  const outDir = path.resolve(options.requiredString('out', 'DIR'));
  const body: FaceRestorationRequestInput = {
    ...(await taskSource(args.positionals[0], options.integer('output-index', 0), NAME)),
    ...withoutUndefined({
      model: options.string('model'),
      detector: options.string('detector'),
      fidelity: options.number('fidelity'),
      visibility: options.number('visibility'),
      output_format: format,
    }),
  };
  return followTask(context, () => context.client.createFaceRestoration(body), outDir);
}
