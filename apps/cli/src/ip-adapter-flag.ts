import type { GenerationRequestInput } from '@atelier/client';
import { readControlImage } from './controlnet-flag.js';
import { UsageError } from './usage-error.js';

type IpAdapterInput = NonNullable<GenerationRequestInput['ip_adapter']>;

/**
 * `model=ip-sd15,image=face.png,image=https://…/style.png,scale=0.7` as the request's
 * `ip_adapter` (model and at least one image required; `image` may repeat). Local files are sent
 * as base64, URLs as they are; the server checks the values.
 */
export function parseIpAdapterFlag(spec: string, readImage: (value: string) => string = readControlImage): IpAdapterInput {
  let model: string | undefined;
  let scale: number | undefined;
  const images: string[] = [];
  for (const part of spec.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (at <= 0 || !['model', 'image', 'scale'].includes(key)) throw new UsageError(`--ip-adapter: "${part}" is not one of model=…, image=…, scale=…`);
    if (key === 'image') images.push(readImage(value));
    else if ((key === 'model' ? model : scale) !== undefined) throw new UsageError(`--ip-adapter: ${key} given twice`);
    else if (key === 'model') model = value;
    else {
      scale = Number(value);
      if (value === '' || !Number.isFinite(scale)) throw new UsageError(`--ip-adapter scale=${value}: expected a number`);
    }
  }
  if (!model || images.length === 0) throw new UsageError('--ip-adapter needs model=NAME and image=FILE|URL (repeat image= for several)');
  return { model, images, ...(scale !== undefined ? { scale } : {}) };
}
