import { classMeets, type ModelSummary } from '@atelier/queue';
import type { CatalogSnapshot } from '../routing/farm-catalog.js';

export type ServedPipeline = ModelSummary & { kind: 'pipeline'; live_workers: number };

/** Catalog pipelines with how many live workers serve each now (0: jobs wait for one to start). */
export function servedPipelines(snapshot: CatalogSnapshot): ServedPipeline[] {
  return [...snapshot.models.values()]
    .map((model) => {
      const classes = new Set(snapshot.classes.filter((record) => classMeets(record, { models: [model.id], loras: [] }, snapshot.imported)).map((record) => record.worker_class));
      const live = snapshot.live.filter((worker) => worker.models.includes(model.id) || classes.has(worker.worker_class)).length;
      return { ...model, kind: 'pipeline' as const, live_workers: live };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}
