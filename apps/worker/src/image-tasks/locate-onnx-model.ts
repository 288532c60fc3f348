import type { LocatedOnnxModel, OnnxModelKind } from '@atelier/registry';

/**
 * How image task runners find a model: ModelService.locateOnnx (the tenant's own private
 * registry model, then a public one, then MODELS_DIR/<kind>s/<name>/). A function so runners
 * stay testable on a folder of graphs.
 */
export type LocateOnnxModel = (kind: OnnxModelKind, name: string, tenant: string) => Promise<LocatedOnnxModel | undefined>;
