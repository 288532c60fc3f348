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

/** Who an adapter belongs to: public ones share one namespace, private ones live under their tenant. */
export interface AdapterOwner {
  readonly visibility: 'private' | 'public';
  readonly tenant: string;
}

/** `registry/<kind>s/` for public adapters, `registry/tenants/<tenant>/<kind>s/` for private ones. */
export function adapterPrefix(kind: AdapterKind, owner: AdapterOwner): string {
  return owner.visibility === 'public' ? `registry/${kind}s/` : `registry/tenants/${owner.tenant}/${kind}s/`;
}

export function adapterKeys(kind: AdapterKind, name: string, owner: AdapterOwner): { file: string; manifest: string } {
  const prefix = adapterPrefix(kind, owner);
  return { file: `${prefix}${name}.safetensors`, manifest: `${prefix}${name}.json` };
}
