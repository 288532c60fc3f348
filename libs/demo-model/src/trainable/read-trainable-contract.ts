import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { TRAINABLE_MANIFEST_FILE, type TrainableDemoContract } from './trainable-contract.js';

const positive = z.number().int().positive();

const contractSchema = z
  .object({
    builder: z.literal('atelier-trainable-demo'),
    version: z.literal(1),
    module: z.string().min(1),
    node: z.string().min(1),
    initializer: z.string().min(1),
    kohyaPrefix: z.string().min(1),
    embeddingOffset: z.number().int().nonnegative(),
    embeddingSize: positive,
    tokenEmbeddingSeed: z.number().int().nonnegative(),
    residual: z.object({ channels: positive, height: positive, width: positive }).strict(),
    scalingFactor: z.number().positive(),
    predictionType: z.enum(['epsilon', 'v_prediction']),
    hiddenSize: positive,
  })
  .strict();

export class NotTrainableModelError extends Error {
  constructor(dir: string, reason: string) {
    super(`${dir} is not a trainable demo model: ${reason}`);
    this.name = 'NotTrainableModelError';
  }
}

/** The contract a trainable demo model folder declares in atelier-trainable.json. */
export async function readTrainableContract(dir: string): Promise<TrainableDemoContract> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, TRAINABLE_MANIFEST_FILE), 'utf8'));
  } catch (error) {
    throw new NotTrainableModelError(dir, `${TRAINABLE_MANIFEST_FILE}: ${(error as Error).message}`);
  }
  const parsed = contractSchema.safeParse(json);
  if (!parsed.success) throw new NotTrainableModelError(dir, parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return parsed.data;
}
