import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const secretsFileSchema = z.object({
  webhookSecret: z.string().startsWith('whsec_'),
  storageSigningSecret: z.string().min(16),
});
export type GeneratedSecrets = z.infer<typeof secretsFileSchema>;

/**
 * Secrets that must be shared by every process of one local farm but need no manual setup:
 * created once under DATA_DIR and reused, so the API and the workers on one host agree.
 */
export async function loadOrCreateSecrets(dataDir: string): Promise<{ secrets: GeneratedSecrets; created: boolean }> {
  const file = path.join(dataDir, 'secrets.json');
  try {
    return { secrets: secretsFileSchema.parse(JSON.parse(await readFile(file, 'utf8'))), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets: GeneratedSecrets = {
    webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
    storageSigningSecret: randomBytes(32).toString('hex'),
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return { secrets: secretsFileSchema.parse(JSON.parse(await readFile(file, 'utf8'))), created: true };
}
