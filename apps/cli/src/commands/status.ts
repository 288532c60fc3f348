import type { BatchPage, GenerationView } from '@atelier/client';
import type { CliContext, Command } from '../context.js';
import type { ParsedArgs } from '../options.js';
import { renderFields, renderTable } from '../terminal/table.js';
import { UsageError } from '../usage-error.js';

const NAME = 'status';

export const statusCommand: Command = {
  name: NAME,
  summary: 'show a generation (gen_…) or a batch (bat_…)',
  usage: 'status ID [--offset N] [--limit N]',
  options: {
    offset: { type: 'string', value: 'N', description: 'batch: first generation listed (default 0)' },
    limit: { type: 'string', value: 'N', description: 'batch: generations listed, 1-1000 (default 100)' },
  },
  run: runStatus,
};

async function runStatus(context: CliContext, args: ParsedArgs): Promise<number> {
  if (args.positionals.length !== 1) throw new UsageError('expected one id', NAME);
  const [id] = args.positionals;
  if (id.startsWith('bat_')) {
    const page = await context.client.getBatch(id, { offset: args.options.integer('offset', 0), limit: args.options.integer('limit', 1) });
    if (context.json) context.outJson(page);
    else context.out(describeBatch(page));
    return 0;
  }
  if (!id.startsWith('gen_')) throw new UsageError(`"${id}" is neither a generation id (gen_…) nor a batch id (bat_…)`, NAME);
  const view = await context.client.getGeneration(id);
  if (context.json) context.outJson(view);
  else context.out(describeGeneration(view));
  return 0;
}

function describeGeneration(view: GenerationView): string {
  const timings = Object.entries(view.timings).map(([name, ms]) => `${name.replace(/_ms$/, '')} ${ms} ms`);
  const fields: Array<[string, string]> = [
    ['id', view.id],
    ['status', view.status],
    ['model', view.model],
    ['progress', `${view.progress.step}/${view.progress.total}`],
    ['prompt', view.parameters.prompt],
    ['size', `${view.parameters.width ?? '?'}×${view.parameters.height ?? '?'}, ${view.parameters.num_inference_steps} steps, seed ${view.parameters.seed}`],
    ['created', view.created_at],
  ];
  if (view.batch_id) fields.push(['batch', view.batch_id]);
  if (view.finished_at) fields.push(['finished', view.finished_at]);
  if (timings.length) fields.push(['timings', timings.join(', ')]);
  if (view.error) fields.push(['error', `${view.error.code}: ${view.error.message}`]);
  for (const warning of view.warnings) fields.push(['warning', warning]);
  for (const [index, output] of view.outputs.entries()) {
    fields.push([`output ${index}`, `${output.width}×${output.height} ${output.content_type} seed ${output.seed} ${output.url ?? '(base64)'}`]);
  }
  return renderFields(fields);
}

function describeBatch(page: BatchPage): string {
  const counts = Object.entries(page.counts)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`);
  const summary = renderFields([
    ['id', page.id],
    ['status', page.status],
    ['total', String(page.total)],
    ['counts', counts.join(', ') || '-'],
    ['created', page.created_at],
    ...(page.completed_at ? ([['completed', page.completed_at]] as Array<[string, string]>) : []),
  ]);
  const { data, offset, total } = page.generations;
  const table = renderTable(['#', 'generation', 'status'], data.map((entry, index) => [String(offset + index), entry.id, entry.status]));
  const more = offset + data.length < total ? `\n(${offset + data.length} of ${total}; --offset ${offset + data.length} for more)` : '';
  return `${summary}\n\n${table}${more}`;
}
