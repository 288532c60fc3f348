import type { CliContext, Command } from '../context.js';
import type { ParsedArgs } from '../options.js';
import { UsageError } from '../usage-error.js';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'cancel a generation',
  usage: 'cancel GENERATION_ID',
  details: 'A queued generation never runs; a running one stops at its next denoising step.',
  options: {},
  run: async (context: CliContext, args: ParsedArgs) => {
    if (args.positionals.length !== 1) throw new UsageError('expected one generation id', 'cancel');
    const view = await context.client.cancelGeneration(args.positionals[0]);
    if (context.json) context.outJson(view);
    else context.out(view.status === 'canceled' ? `${view.id} canceled` : `${view.id} cancel requested (was ${view.status}; stops at its next step)`);
    return 0;
  },
};
