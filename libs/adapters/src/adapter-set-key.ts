// One key per (base component, adapter set, weights), so a session pool can hold one session per
// distinct merge and find it again without merging anything. Order does not matter: the merge
// sums LoRAs and the key sorts them; weight-0 LoRAs are dropped because they change nothing.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';

export interface AdapterRef {
  readonly kind: 'lora' | 'embedding';
  /** Identity of the adapter file: a content hash, or fileIdentity() of its path. */
  readonly id: string;
  /** LoRA strength; ignored for embeddings. */
  readonly weight?: number;
}

/** The adapters that change the model, in the order both the key and the merge use. */
export function canonicalAdapters<T extends AdapterRef>(adapters: readonly T[]): T[] {
  return adapters
    .filter((adapter) => adapter.kind === 'embedding' || (adapter.weight ?? 1) !== 0)
    .sort((a, b) => compare(a.kind, b.kind) || compare(a.id, b.id) || (a.weight ?? 1) - (b.weight ?? 1));
}

/** Hex key of a component with an adapter set; the bare base model gets the key of an empty set. */
export function adapterSetKey(baseIdentity: string, adapters: readonly AdapterRef[]): string {
  const canonical = canonicalAdapters(adapters).map((adapter) =>
    adapter.kind === 'lora' ? ['lora', adapter.id, adapter.weight ?? 1] : ['embedding', adapter.id],
  );
  return createHash('sha256').update(JSON.stringify([baseIdentity, canonical])).digest('hex');
}

/** Cheap identity of a file (resolved path, size, modification time) for keys and cache names. */
export async function fileIdentity(file: string): Promise<string> {
  const resolved = path.resolve(file);
  const info = await stat(resolved);
  return `${resolved}:${info.size}:${Math.trunc(info.mtimeMs)}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
