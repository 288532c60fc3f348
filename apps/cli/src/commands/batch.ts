import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BatchRunner, type BatchOutcome } from '../batch/batch-runner.js';
import { parseBatchInput } from '../batch/batch-input.js';
import { batchProgressText, progressKey } from '../batch/progress-text.js';
import { StateFile, newBatchState } from '../batch/state-file.js';
import type { CliContext, Command } from '../context.js';
import { GENERATION_OPTIONS, generationFields } from '../generation-flags.js';
import type { ParsedArgs } from '../options.js';
import { onInterrupt } from '../terminal/interrupts.js';
import { UsageError } from '../usage-error.js';

const NAME = 'batch';
const PLAIN_LINE_INTERVAL_MS = 1_000;

export const batchCommand: Command = {
  name: NAME,
  summary: 'run a JSONL file of requests; resumable',
  usage: 'batch FILE.jsonl --out DIR [--concurrency N] [request flags as defaults]',
  details: [
    'Each non-blank line is a request: a JSON object with the fields of POST /v1/generations, or a',
    'prompt (plain text or a JSON string). Request flags are defaults under every line.',
    'Lines go to the farm as POST /v1/batches chunks at batch priority (interactive requests stay',
    'ahead), with at most --concurrency generations in flight. Images land in DIR as',
    '<generation id>-<index>.<ext>; DIR/.atelier-batch.json records line -> generation, so running',
    'the same command again skips finished lines, re-attaches to submitted ones and submits the',
    'rest. Ctrl-C stops cleanly (generations already submitted keep running on the farm); a second',
    'Ctrl-C quits at once. Failed lines are listed at the end and make the exit code 1.',
  ].join('\n'),
  options: {
    out: { type: 'string', value: 'DIR', description: 'output folder; holds the state file' },
    concurrency: { type: 'string', value: 'N', description: 'generations in flight at most (default 32)' },
    'poll-interval': { type: 'string', value: 'MS', description: 'progress polling period (default 1000)' },
    ...GENERATION_OPTIONS,
  },
  run: runBatch,
};

async function runBatch(context: CliContext, args: ParsedArgs): Promise<number> {
  const { options } = args;
  if (args.positionals.length !== 1) throw new UsageError('expected exactly one input file', NAME);
  const input = path.resolve(args.positionals[0]);
  const outDir = path.resolve(options.requiredString('out', 'DIR'));
  const concurrency = options.integer('concurrency', 1) ?? 32;
  const pollMs = options.integer('poll-interval', 50) ?? 1000;
  const lines = parseBatchInput(await readFile(input, 'utf8'), generationFields(options));
  if (lines.length === 0) throw new UsageError(`${input} has no requests`, NAME);

  await mkdir(outDir, { recursive: true });
  const previous = await StateFile.load(outDir);
  const state = previous ?? newBatchState(context.apiUrl, input);
  if (previous) {
    context.err(`resuming from ${path.join(outDir, '.atelier-batch.json')} (${Object.keys(previous.lines).length} lines recorded)`);
    if (previous.api_url !== context.apiUrl) context.err(`note: the state was written against ${previous.api_url}; ids unknown to ${context.apiUrl} are submitted again`);
    state.api_url = context.apiUrl;
    state.input = input;
  }
  const store = new StateFile(outDir, state);
  const line = context.progressLine();
  const stop = new AbortController();
  const removeHandlers = onInterrupt({
    first: () => {
      line.log('stopping: finishing the calls in flight and saving the state (Ctrl-C again to quit at once)');
      stop.abort(new Error('interrupted'));
    },
    second: () => {
      // The in-memory state is consistent between any two awaits; a synchronous write keeps it.
      store.writeSync();
      line.finish();
      context.err(`quit; state saved in ${store.path}`);
      process.exit(130);
    },
  });
  let lastKey = '';
  let lastPrinted = 0;
  const runner = new BatchRunner({
    client: context.client,
    lines,
    store,
    outDir,
    concurrency,
    pollMs,
    stop: stop.signal,
    log: (message) => line.log(message),
    onProgress: (progress, final) => {
      // A log gets a line when lines finish, at most one a second, and always the last state.
      const key = progressKey(progress);
      if (!line.live && !final && (key === lastKey || Date.now() - lastPrinted < PLAIN_LINE_INTERVAL_MS)) return;
      lastKey = key;
      lastPrinted = Date.now();
      line.update(batchProgressText(progress, line.live));
    },
  });
  let outcome: BatchOutcome;
  try {
    outcome = await runner.run();
  } catch (error) {
    line.finish();
    context.err(`the batch stopped; its state is saved in ${store.path}: run the same command again to resume`);
    throw error;
  } finally {
    removeHandlers();
  }
  line.finish();
  const interrupted = stop.signal.aborted && outcome.unfinished > 0;
  report(context, outcome, interrupted, store.path, outDir);
  if (interrupted) return 130;
  return outcome.failures.length > 0 || outcome.unfinished > 0 ? 1 : 0;
}

function report(context: CliContext, outcome: BatchOutcome, interrupted: boolean, stateFile: string, outDir: string): void {
  if (context.json) {
    context.outJson({ ...outcome, failed: outcome.failures.length, interrupted, state_file: stateFile, out: outDir });
    return;
  }
  const earlier = outcome.skipped > 0 ? ` (${outcome.skipped} from an earlier run)` : '';
  const counts = `${outcome.done}/${outcome.total} lines done${earlier}, ${outcome.failures.length} failed, ${outcome.unfinished} unfinished; ${outcome.images} images in ${outDir}`;
  context.out(interrupted ? `interrupted: ${counts}` : `batch finished: ${counts}`);
  if (outcome.failures.length > 0) {
    context.out('failed lines:');
    for (const failure of outcome.failures) context.out(`  line ${failure.line}: ${failure.code}: ${failure.message}${failure.generation_id ? ` (${failure.generation_id})` : ''}`);
  }
  if (interrupted) context.out(`state saved in ${stateFile}: run the same command again to resume`);
}
