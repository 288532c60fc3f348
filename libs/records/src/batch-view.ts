import type { BatchRecord } from './batch-store.js';

export interface BatchView {
  readonly id: string;
  readonly object: 'batch';
  readonly status: 'running' | 'completed';
  readonly total: number;
  readonly counts: BatchRecord['counts'];
  readonly created_at: string;
  readonly completed_at: string | null;
}

export function toBatchView(batch: BatchRecord): BatchView {
  return {
    id: batch.id,
    object: 'batch',
    status: batch.completed_at ? 'completed' : 'running',
    total: batch.total,
    counts: batch.counts,
    created_at: batch.created_at,
    completed_at: batch.completed_at ?? null,
  };
}
