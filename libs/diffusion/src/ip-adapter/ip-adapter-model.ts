import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { IpAdapterError } from './errors.js';

/** Base families an IP-Adapter is trained for; SD 1.x and 2.x differ only by text width. */
export type IpAdapterBase = 'sd' | 'sdxl';

/**
 * `config.json` of an IP-Adapter folder: `family` (sd15, sd21, sd or sdxl), `plus` (the image
 * encoder's penultimate hidden states feed a Resampler instead of `image_embeds` feeding a linear
 * projection; default: read from the encoder's outputs), `tokens` (image tokens per image, a check
 * on the projection's output).
 */
const ipAdapterConfigSchema = z.looseObject({
  family: z.enum(['sd15', 'sd1', 'sd21', 'sd2', 'sd', 'sdxl']),
  plus: z.boolean().optional(),
  tokens: z.number().int().positive().optional(),
});

/** An IP-Adapter folder, read and checked once (its sessions are acquired per generation). */
export interface IpAdapterModel {
  readonly kind: 'ip-adapter';
  readonly id: string;
  readonly dir: string;
  /** CLIP vision: `pixel_values` [N, 3, 224, 224] → `image_embeds` [N, D] or hidden states [N, S, W]. */
  readonly imageEncoderFile: string;
  /** `image_embeds` (or hidden states) → image tokens [N, T, C]. */
  readonly projectionFile: string;
  readonly base: IpAdapterBase;
  readonly plus: boolean | undefined;
  readonly tokens: number | undefined;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function firstModel(dir: string, folders: readonly string[]): Promise<string | undefined> {
  for (const folder of folders) {
    const file = path.join(dir, folder, 'model.onnx');
    if ((await exists(file)) || (await exists(`${file}.remote.json`))) return file;
  }
  return undefined;
}

/**
 * Opens an IP-Adapter folder: `image_encoder/model.onnx`, `projection/model.onnx` (or
 * `image_proj/model.onnx`) and `config.json`. `field` names the request field in errors.
 */
export async function openIpAdapter(dir: string, field = 'ip_adapter.model', id = path.basename(dir)): Promise<IpAdapterModel> {
  const imageEncoderFile = await firstModel(dir, ['image_encoder']);
  if (!imageEncoderFile) throw new IpAdapterError('ip_adapter_model_missing', field, `no IP-Adapter at ${dir} (image_encoder/model.onnx is missing)`);
  const projectionFile = await firstModel(dir, ['projection', 'image_proj']);
  if (!projectionFile) throw new IpAdapterError('ip_adapter_model_missing', field, `no IP-Adapter at ${dir} (projection/model.onnx or image_proj/model.onnx is missing)`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new IpAdapterError('ip_adapter_model_invalid', field, `${dir}: config.json is ${missing ? 'missing' : 'not valid JSON'}`);
  }
  const config = ipAdapterConfigSchema.safeParse(raw);
  if (!config.success) throw new IpAdapterError('ip_adapter_model_invalid', field, `${dir}: config.json: ${config.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return {
    kind: 'ip-adapter',
    id,
    dir,
    imageEncoderFile,
    projectionFile,
    base: config.data.family === 'sdxl' ? 'sdxl' : 'sd',
    plus: config.data.plus,
    tokens: config.data.tokens,
  };
}
