import type { CliContext, Command } from '../context.js';
import type { ParsedArgs } from '../options.js';
import { renderTable } from '../terminal/table.js';
import { UsageError } from '../usage-error.js';

function noArguments(name: string, args: ParsedArgs): void {
  if (args.positionals.length > 0) throw new UsageError(`${name} takes no arguments`, name);
}

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the pipelines live workers serve and the registered LoRAs, embeddings and ONNX models',
  usage: 'models',
  options: {},
  run: async (context: CliContext, args: ParsedArgs) => {
    noArguments('models', args);
    const list = await context.client.listModels();
    if (context.json) context.outJson(list);
    else {
      const rows = list.data.map((model): string[] =>
        model.kind === 'pipeline'
          ? [model.id, model.kind, model.family, `${model.default_width}×${model.default_height}`, model.default_scheduler, model.refiner ?? '-', model.description]
          : // A ControlNet's family (sd1, sd2, sdxl) is what decides which pipelines it fits.
            [model.id, model.kind, typeof model.base_family === 'string' ? model.base_family : '-', '-', '-', '-', model.name],
      );
      context.out(list.data.length ? renderTable(['id', 'kind', 'family', 'default size', 'scheduler', 'refiner', 'description'], rows) : 'no models: no live worker has registered');
    }
    return 0;
  },
};

export const schedulersCommand: Command = {
  name: 'schedulers',
  summary: 'list the samplers and the names each accepts',
  usage: 'schedulers',
  options: {},
  run: async (context: CliContext, args: ParsedArgs) => {
    noArguments('schedulers', args);
    const list = await context.client.listSchedulers();
    if (context.json) context.outJson(list);
    else {
      const rows = list.data.map((scheduler) => [scheduler.id, scheduler.label, scheduler.karras ? 'yes' : 'no', scheduler.deterministic ? 'yes' : 'no', scheduler.aliases.join(', ')]);
      context.out(renderTable(['id', 'label', 'karras', 'deterministic', 'also accepted'], rows, 80));
    }
    return 0;
  },
};

export const stylesCommand: Command = {
  name: 'styles',
  summary: 'list the style presets',
  usage: 'styles',
  options: {},
  run: async (context: CliContext, args: ParsedArgs) => {
    noArguments('styles', args);
    const list = await context.client.listStyles();
    if (context.json) context.outJson(list);
    else context.out(renderTable(['id', 'label', 'prompt template'], list.data.map((style) => [style.id, style.label, style.prompt])));
    return 0;
  },
};
