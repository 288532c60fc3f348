import path from 'node:path';
import type { SegmentationRequestInput } from '@atelier/client';
import type { CliContext, Command } from '../context.js';
import type { ParsedArgs } from '../options.js';
import { UsageError } from '../usage-error.js';
import { followTask, taskSource, withoutUndefined } from './image-task-run.js';

const NAME = 'segment';

export const segmentCommand: Command = {
  name: NAME,
  summary: 'Segment Anything: mask PNGs from clicks and a box on an image (or one of your generations)',
  usage: 'segment IMAGE|GENERATION_ID --out DIR --point X,Y[,negative] [--point …] [--box X0,Y0,X1,Y1] [options]',
  details: [
    'Coordinates are image pixels (x right, y down). Submits POST /v1/segmentations, follows the task and',
    'writes <task id>-mask[-<index>].png into DIR (white = selected). Ctrl-C cancels the task on the farm.',
  ].join('\n'),
  options: {
    out: { type: 'string', value: 'DIR', description: 'folder for the masks' },
    point: { type: 'string', value: 'X,Y[,negative]', description: 'a click (repeatable); ",negative" marks what is not the object', multiple: true },
    box: { type: 'string', value: 'X0,Y0,X1,Y1', description: 'a box around the object' },
    model: { type: 'string', value: 'NAME', description: 'segmenter model (default: the only/first one)' },
    all: { type: 'boolean', description: "all three candidate masks (default: SAM's best)" },
    'output-index': { type: 'string', value: 'N', description: 'which output of GENERATION_ID (default 0)' },
  },
  run: runSegment,
};

function numbers(text: string, count: number, option: string): number[] {
  const values = text.split(',').slice(0, count).map(Number);
  if (values.length !== count || values.some((value) => !Number.isFinite(value))) throw new UsageError(`--${option} takes ${count} numbers separated by commas, got "${text}"`, NAME);
  return values;
}

function point(text: string): { x: number; y: number; label: 'positive' | 'negative' } {
  const [x, y] = numbers(text, 2, 'point');
  const label = text.split(',')[2];
  if (label !== undefined && label !== 'negative' && label !== 'positive') throw new UsageError(`--point label must be positive or negative, got "${label}"`, NAME);
  return { x, y, label: label ?? 'positive' };
}

async function runSegment(context: CliContext, args: ParsedArgs): Promise<number> {
  const { options } = args;
  if (args.positionals.length !== 1) throw new UsageError('expected one image (file, URL or generation id)', NAME);
  const points = options.list('point').map(point);
  const boxText = options.string('box');
  const boxes = boxText === undefined ? [] : [numbers(boxText, 4, 'box')].map(([x0, y0, x1, y1]) => ({ x0, y0, x1, y1 }));
  if (points.length + boxes.length === 0) throw new UsageError('give at least one --point or a --box', NAME);
  const outDir = path.resolve(options.requiredString('out', 'DIR'));
  const body: SegmentationRequestInput = {
    ...(await taskSource(args.positionals[0], options.integer('output-index', 0), NAME)),
    points,
    boxes,
    ...withoutUndefined({ model: options.string('model'), output: options.flag('all') ? ('all' as const) : undefined }),
  };
  return followTask(context, () => context.client.createSegmentation(body), outDir);
}
