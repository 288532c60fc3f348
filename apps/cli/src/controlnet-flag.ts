import { readFileSync } from 'node:fs';
import type { GenerationRequestInput } from '@atelier/client';
import { UsageError } from './usage-error.js';

type ControlNetInput = NonNullable<GenerationRequestInput['controlnets']>[number];

/** Keys of `--controlnet`: short names for the request's fields. */
const NUMBERS = { scale: 'conditioning_scale', start: 'guidance_start', end: 'guidance_end' } as const;
const OPTIONS = { low: 'low_threshold', high: 'high_threshold', detect: 'detect_resolution' } as const;
const KEYS = ['model', 'image', 'preprocessor', ...Object.keys(NUMBERS), ...Object.keys(OPTIONS)];

/** An http(s) or data: URL is sent as is; anything else is a local file, sent as base64. */
export function readControlImage(value: string): string {
  if (/^(https?:\/\/|data:)/i.test(value)) return value;
  try {
    return readFileSync(value).toString('base64');
  } catch {
    throw new UsageError(`--controlnet image=${value}: not a URL and not a readable file`);
  }
}

function numberOf(key: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--controlnet ${key}=${text}: expected a number`);
  return value;
}

/**
 * `model=canny,image=edges.png,preprocessor=canny,scale=0.8,start=0,end=1,low=100,high=200,detect=512`
 * as one `controlnets` entry (model and image required). The server checks the values.
 */
export function parseControlNetFlag(spec: string, readImage: (value: string) => string = readControlImage): ControlNetInput {
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    if (at <= 0 || !KEYS.includes(key)) throw new UsageError(`--controlnet: "${part}" is not one of ${KEYS.map((name) => `${name}=…`).join(', ')}`);
    if (fields.has(key)) throw new UsageError(`--controlnet: ${key} given twice`);
    fields.set(key, part.slice(at + 1).trim());
  }
  const model = fields.get('model');
  const image = fields.get('image');
  if (!model || !image) throw new UsageError('--controlnet needs model=NAME and image=FILE|URL');
  const unit: Record<string, unknown> = { model, image: readImage(image) };
  const preprocessor = fields.get('preprocessor');
  if (preprocessor) unit.preprocessor = preprocessor;
  for (const [key, field] of Object.entries(NUMBERS)) {
    const text = fields.get(key);
    if (text !== undefined) unit[field] = numberOf(key, text);
  }
  const options = Object.fromEntries(Object.entries(OPTIONS).flatMap(([key, field]) => (fields.has(key) ? [[field, numberOf(key, fields.get(key) as string)]] : [])));
  if (Object.keys(options).length > 0) unit.preprocessor_options = options;
  return unit as ControlNetInput;
}
