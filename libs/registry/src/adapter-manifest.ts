import { z } from 'zod';

export const ADAPTER_KINDS = ['lora', 'embedding'] as const;
export type AdapterKind = (typeof ADAPTER_KINDS)[number];

export const adapterNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _ . and -, at most 100 characters');

/** What the registry keeps beside each stored adapter file. */
export const adapterManifestSchema = z.object({
  id: z.string(),
  kind: z.enum(ADAPTER_KINDS),
  name: adapterNameSchema,
  tenant: z.string(),
  visibility: z.enum(['private', 'public']),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  tensors: z.number().int().nonnegative(),
  format: z.literal('safetensors'),
  converted_from: z.enum(['safetensors', 'pickle']),
  trigger_words: z.array(z.string()).default([]),
  base_model: z.string().nullable(),
  source: z.string(),
  licence: z.string().nullable(),
  created_at: z.string(),
});
export type AdapterManifest = z.infer<typeof adapterManifestSchema>;

export function adapterKeys(kind: AdapterKind, name: string): { file: string; manifest: string } {
  return { file: `registry/${kind}s/${name}.safetensors`, manifest: `registry/${kind}s/${name}.json` };
}
