import type { GenerationRequestInput } from '@atelier/client';
import { UsageError } from './usage-error.js';

type Fields = Record<string, string | number>;

/** `key=value,key=value` with only `keys` allowed; `numbers` are parsed as numbers. */
function keyValues(flag: string, spec: string, keys: readonly string[], numbers: readonly string[]): Fields {
  const fields: Fields = {};
  if (spec.trim() === '' || spec.trim() === 'default') return fields;
  for (const part of spec.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    if (at <= 0 || !keys.includes(key)) throw new UsageError(`--${flag}: "${part}" is not one of ${keys.map((name) => `${name}=…`).join(', ')}`);
    if (key in fields) throw new UsageError(`--${flag}: ${key} given twice`);
    const text = part.slice(at + 1).trim();
    if (numbers.includes(key)) {
      const value = Number(text);
      if (text === '' || !Number.isFinite(value)) throw new UsageError(`--${flag} ${key}=${text}: expected a number`);
      fields[key] = value;
    } else fields[key] = text;
  }
  return fields;
}

/** `--upscale model=NAME[,scale=X]`. */
export function parseUpscaleFlag(spec: string): NonNullable<GenerationRequestInput['upscale']> {
  const fields = keyValues('upscale', spec, ['model', 'scale'], ['scale']);
  if (typeof fields.model !== 'string' || fields.model === '') throw new UsageError('--upscale needs model=NAME');
  return fields as NonNullable<GenerationRequestInput['upscale']>;
}

/** `--face-restore default` or `--face-restore model=NAME,detector=NAME,fidelity=X,visibility=X` (any subset). */
export function parseFaceRestoreFlag(spec: string): NonNullable<GenerationRequestInput['face_restore']> {
  return keyValues('face-restore', spec, ['model', 'detector', 'fidelity', 'visibility'], ['fidelity', 'visibility']) as NonNullable<GenerationRequestInput['face_restore']>;
}

/** `--hires default` or `--hires scale=2,upscaler=latent|latent-nearest|NAME,strength=0.7,steps=N,width=PX,height=PX`. */
export function parseHiresFlag(spec: string): NonNullable<GenerationRequestInput['hires']> {
  return keyValues('hires', spec, ['scale', 'upscaler', 'strength', 'steps', 'width', 'height'], ['scale', 'strength', 'steps', 'width', 'height']) as NonNullable<GenerationRequestInput['hires']>;
}

/** `--mask-point x,y[,negative]` (repeatable) → a mask_prompt point in init_image's pixels. */
export function parseMaskPoint(spec: string): { x: number; y: number; label: 'positive' | 'negative' } {
  const [x, y, label, ...rest] = spec.split(',').map((part) => part.trim());
  const at = { x: Number(x), y: Number(y) };
  if (rest.length > 0 || x === undefined || y === undefined || x === '' || y === '' || !Number.isFinite(at.x) || !Number.isFinite(at.y)) {
    throw new UsageError(`--mask-point ${spec}: expected x,y or x,y,negative`);
  }
  if (label !== undefined && label !== 'positive' && label !== 'negative') throw new UsageError(`--mask-point ${spec}: the label is positive or negative`);
  return { ...at, label: label ?? 'positive' };
}
