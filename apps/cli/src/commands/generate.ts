import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AtelierApiError, type GenerationView } from '@atelier/client';
import { progressBar } from '../batch/progress-text.js';
import type { CliContext, Command } from '../context.js';
import { GENERATION_OPTIONS, generationFields } from '../generation-flags.js';
import type { ParsedArgs } from '../options.js';
import { saveOutputs } from '../save-outputs.js';
import { onInterrupt } from '../terminal/interrupts.js';
import { UsageError } from '../usage-error.js';

const NAME = 'generate';

export const generateCommand: Command = {
  name: NAME,
  summary: 'render one prompt and download the images',
  usage: 'generate "PROMPT" --out DIR [request flags]',
  details: 'Prints the paths of the images (<generation id>-<index>.<ext>) and ControlNet maps (<generation id>-control-<unit>.png). Ctrl-C cancels the generation on the farm.',
  options: {
    out: { type: 'string', value: 'DIR', description: 'folder for the images' },
    ...GENERATION_OPTIONS,
  },
  run: runGenerate,
};

function progressText(view: GenerationView, live: boolean): string {
  if (view.status !== 'running' || view.progress.total === 0) return `${view.id} ${view.status}`;
  const { step, total } = view.progress;
  return `${view.id} running ${progressBar(step / total, 20, live)} step ${step}/${total}`;
}

async function runGenerate(context: CliContext, args: ParsedArgs): Promise<number> {
  const prompt = args.positionals.join(' ').trim();
  if (!prompt) throw new UsageError('a prompt is required', NAME);
  const outDir = path.resolve(args.options.requiredString('out', 'DIR'));
  const body = { prompt, ...generationFields(args.options) };
  await mkdir(outDir, { recursive: true });

  const submitted = await context.client.createGeneration(body);
  for (const warning of submitted.warnings) context.err(`warning: ${warning}`);
  const line = context.progressLine();
  const stop = new AbortController();
  const removeHandlers = onInterrupt({ first: () => stop.abort(new Error('interrupted')), second: () => process.exit(130) });
  let view: GenerationView;
  try {
    view = await context.client.waitForGeneration(submitted.id, {
      signal: stop.signal,
      pollMs: 250,
      onProgress: (current) => line.update(progressText(current, line.live)),
    });
  } catch (error) {
    line.finish();
    if (!stop.signal.aborted) throw error;
    // Nobody waits for the images any more: free the GPU.
    try {
      await context.client.cancelGeneration(submitted.id);
      context.err(`interrupted: canceled ${submitted.id}`);
    } catch (cancelError) {
      const finished = cancelError instanceof AtelierApiError && cancelError.code === 'already_finished';
      context.err(finished ? `interrupted: ${submitted.id} had already finished (not downloaded)` : `interrupted; ${submitted.id} may still run on the farm`);
    }
    return 130;
  } finally {
    removeHandlers();
  }
  line.finish();
  if (view.status !== 'succeeded') {
    if (context.json) context.outJson({ generation: view, files: [] });
    context.err(`${view.id} ${view.status}: ${view.error ? `${view.error.message} (${view.error.code})` : 'no error reported'}`);
    return 1;
  }
  const files = await saveOutputs(context.client, view, outDir);
  if (context.json) context.outJson({ generation: view, files });
  else for (const file of files) context.out(file);
  return 0;
}
