import { readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ImageTaskView } from '@atelier/client';
import type { CliContext } from '../context.js';
import { extensionFor } from '../save-outputs.js';
import { onInterrupt } from '../terminal/interrupts.js';
import { UsageError } from '../usage-error.js';

/** A URL as given; a file as base64 (the API applies the same limits as to init_image). */
export async function imageReference(source: string, command: string): Promise<string> {
  if (/^https?:\/\//i.test(source)) return source;
  const bytes = await readFile(path.resolve(source)).catch(() => {
    throw new UsageError(`cannot read image file "${source}"`, command);
  });
  return bytes.toString('base64');
}

/** An image task's source from the command line: `gen_…` is one of your generations, else a file or URL. */
export async function taskSource(source: string, outputIndex: number | undefined, command: string): Promise<{ image: string } | { generation_id: string; output_index?: number }> {
  if (/^gen_[0-9a-f]{32}$/.test(source)) return { generation_id: source, ...(outputIndex !== undefined ? { output_index: outputIndex } : {}) };
  if (outputIndex !== undefined) throw new UsageError('--output-index goes with a generation id (gen_…)', command);
  return { image: await imageReference(source, command) };
}

export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

/**
 * Creates `outDir`, submits the task, follows it (Ctrl-C cancels it on the farm) and writes its
 * outputs into `outDir` as `<task id>-<kind>[-<index>].<ext>`; prints the files (or the view with --json).
 */
export async function followTask(context: CliContext, submit: () => Promise<ImageTaskView>, outDir: string): Promise<number> {
  await mkdir(outDir, { recursive: true });
  const submitted = await submit();
  const line = context.progressLine();
  const stop = new AbortController();
  const removeHandlers = onInterrupt({ first: () => stop.abort(new Error('interrupted')), second: () => process.exit(130) });
  let view: ImageTaskView;
  try {
    view = await context.client.waitForTask(submitted.id, {
      signal: stop.signal,
      pollMs: 250,
      onProgress: (current) => line.update(`${current.id} ${current.status}${current.progress.total > 1 ? ` ${current.progress.step}/${current.progress.total}` : ''}`),
    });
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
  const sameKind = (kind: string): number => view.outputs.filter((output) => output.kind === kind).length;
  const files: string[] = [];
  for (const output of view.outputs) {
    const file = path.join(outDir, `${view.id}-${output.kind}${sameKind(output.kind) > 1 ? `-${output.index}` : ''}.${extensionFor(output.content_type)}`);
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
