import path from 'node:path';
import { AtelierApiError, type TrainingRequestInput, type TrainingView } from '@atelier/client';
import type { CliContext, Command } from '../context.js';
import type { ParsedArgs } from '../options.js';
import { onInterrupt } from '../terminal/interrupts.js';
import { readDataset } from '../train/dataset.js';
import { createZip } from '../train/zip-writer.js';
import { UsageError } from '../usage-error.js';

const NAME = 'train';

export const trainCommand: Command = {
  name: NAME,
  summary: 'train a LoRA on a folder of images and captions',
  usage: 'train DIR --trigger WORD [--base-model ID] [--steps N] [--rank N] [...]\n       train DIR --method textual_inversion --token WORD --init-word WORD [--num-vectors N] [...]',
  details: [
    'Zips DIR (images .png/.jpg/.jpeg/.webp with optional <name>.txt captions) in memory, uploads',
    'it through POST /v1/uploads, starts POST /v1/trainings and follows its progress. Ctrl-C stops',
    'following; the training keeps running (see its id).',
  ].join('\n'),
  options: {
    trigger: { type: 'string', value: 'WORD', description: 'trigger word (trigger_word), for LoRAs' },
    method: { type: 'string', value: 'NAME', description: 'lora (default) or textual_inversion' },
    token: { type: 'string', value: 'WORD', description: 'textual inversion: the new token, also the embedding name (placeholder_token)' },
    'init-word': { type: 'string', value: 'WORD', description: 'textual inversion: the word its vectors start from (initializer_token)' },
    'num-vectors': { type: 'string', value: 'N', description: 'textual inversion: vectors per token (num_vectors)' },
    'base-model': { type: 'string', value: 'ID', description: 'model to train on (base_model)' },
    steps: { type: 'string', value: 'N', description: 'training steps' },
    rank: { type: 'string', value: 'N', description: 'LoRA rank' },
    alpha: { type: 'string', value: 'X', description: 'LoRA alpha' },
    'learning-rate': { type: 'string', value: 'X', description: 'learning rate' },
    'batch-size': { type: 'string', value: 'N', description: 'batch size' },
    resolution: { type: 'string', value: 'PX', description: 'training resolution' },
    seed: { type: 'string', value: 'N', description: 'seed' },
    'save-every': { type: 'string', value: 'N', description: 'checkpoint every N steps' },
    'sample-prompt': { type: 'string', value: 'TEXT', multiple: true, description: 'prompt rendered at checkpoints' },
  },
  run: runTrain,
};

function trainingText(view: TrainingView): string {
  return view.progress && view.progress.total > 0 ? `${view.id} ${view.status} step ${view.progress.step}/${view.progress.total}` : `${view.id} ${view.status}`;
}

async function runTrain(context: CliContext, args: ParsedArgs): Promise<number> {
  const { options } = args;
  if (args.positionals.length !== 1) throw new UsageError('expected one dataset folder', NAME);
  const dir = path.resolve(args.positionals[0]);
  const method = options.string('method') ?? 'lora';
  if (method !== 'lora' && method !== 'textual_inversion') throw new UsageError(`--method must be lora or textual_inversion, got ${method}`, NAME);
  const methodFields =
    method === 'textual_inversion'
      ? { method: 'textual_inversion' as const, placeholder_token: options.requiredString('token', 'WORD'), initializer_token: options.requiredString('init-word', 'WORD'), num_vectors: options.integer('num-vectors', 1) }
      : { trigger_word: options.requiredString('trigger', 'WORD') };
  const fields = {
    base_model: options.string('base-model'),
    steps: options.integer('steps', 1),
    rank: options.integer('rank', 1),
    alpha: options.number('alpha'),
    learning_rate: options.number('learning-rate'),
    batch_size: options.integer('batch-size', 1),
    resolution: options.integer('resolution', 8),
    seed: options.integer('seed'),
    save_every: options.integer('save-every', 1),
    sample_prompts: options.list('sample-prompt').length ? options.list('sample-prompt') : undefined,
  };

  const dataset = await readDataset(dir);
  const archive = createZip(dataset.entries);
  context.err(`dataset: ${dataset.images} images, ${dataset.captions} captions, ${(archive.length / 1024).toFixed(0)} KiB zipped`);
  if (dataset.uncaptioned.length) context.err(`note: no caption for ${dataset.uncaptioned.length} image(s), e.g. ${dataset.uncaptioned[0]}`);

  let training: TrainingView;
  try {
    const upload = await context.client.createUpload({ filename: `${path.basename(dir)}.zip`, content_type: 'application/zip', size: archive.length });
    await context.client.uploadBytes(upload, archive);
    const body: TrainingRequestInput = { ...withoutUndefined({ ...fields, ...methodFields }), dataset: upload.id };
    training = await context.client.createTraining(body);
  } catch (error) {
    if (error instanceof AtelierApiError && (error.status === 404 || error.status === 405) && /\/v1\/(uploads|trainings)/.test(error.request ?? '')) {
      context.err(`this server does not offer ${error.request} yet: training needs an Atelier API with uploads and trainings`);
    }
    throw error;
  }
  context.err(`training ${training.id} started`);
  const line = context.progressLine();
  const stop = new AbortController();
  const removeHandlers = onInterrupt({ first: () => stop.abort(new Error('interrupted')), second: () => process.exit(130) });
  let final: TrainingView;
  try {
    final = await context.client.waitForTraining(training.id, { signal: stop.signal, onProgress: (view) => line.update(trainingText(view)) });
  } catch (error) {
    line.finish();
    if (!stop.signal.aborted) throw error;
    context.err(`stopped following; training ${training.id} keeps running on the farm`);
    return 130;
  } finally {
    removeHandlers();
  }
  line.finish();
  if (context.json) context.outJson(final);
  else context.out(`${final.id} ${final.status}`);
  if (final.status !== 'succeeded') {
    if (final.error) context.err(`${final.error.code}: ${final.error.message}`);
    return 1;
  }
  return 0;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
