import { readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ImageTaskView, PreprocessRequestInput } from '@atelier/client';
import type { CliContext, Command } from '../context.js';
import type { ParsedArgs } from '../options.js';
import { extensionFor } from '../save-outputs.js';
import { onInterrupt } from '../terminal/interrupts.js';
import { UsageError } from '../usage-error.js';

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

/** A URL as given; a file as base64 (the API applies the same limits as to init_image). */
async function imageReference(source: string): Promise<string> {
  if (/^https?:\/\//i.test(source)) return source;
  const bytes = await readFile(path.resolve(source)).catch(() => {
    throw new UsageError(`cannot read image file "${source}"`, NAME);
  });
  return bytes.toString('base64');
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
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
    image: await imageReference(args.positionals[0]),
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
  await mkdir(outDir, { recursive: true });
  const submitted = await context.client.createPreprocess(body);
  const line = context.progressLine();
  const stop = new AbortController();
  const removeHandlers = onInterrupt({ first: () => stop.abort(new Error('interrupted')), second: () => process.exit(130) });
  let view: ImageTaskView;
  try {
    view = await context.client.waitForTask(submitted.id, { signal: stop.signal, pollMs: 250, onProgress: (current) => line.update(`${current.id} ${current.status}`) });
  } catch (error) {
    line.finish();
    if (!stop.signal.aborted) throw error;
    await context.client.cancelTask(submitted.id).then(
      () => context.err(`interrupted: canceled ${submitted.id}`),
      () => context.err(`interrupted; ${submitted.id} may still run on the farm`),
    );
    return 130;
  } finally {
    removeHandlers();
  }
  line.finish();
  if (view.status !== 'succeeded') {
    if (context.json) context.outJson(view);
    context.err(`${view.id} ${view.status}${view.error ? `: ${view.error.code}: ${view.error.message}` : ''}`);
    return 1;
  }
  const files: string[] = [];
  for (const output of view.outputs) {
    const file = path.join(outDir, `${view.id}-${output.kind}${view.outputs.length > 1 ? `-${output.index}` : ''}.${extensionFor(output.content_type)}`);
    const partial = `${file}.part`;
    try {
      await writeFile(partial, await context.client.download(output.url));
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    files.push(file);
  }
  if (context.json) context.outJson({ ...view, files });
  else for (const file of files) context.out(file);
  return 0;
}
