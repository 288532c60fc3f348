import type { AnnouncedControlNet } from '@atelier/queue';
import type { CatalogSnapshot } from './farm-catalog.js';

/** What the resolver needs to know about ControlNets: which exist, trained for which base. */
export interface ControlNetLookup {
  /** ControlNets some worker class can load, by name. */
  controlnets(snapshot: CatalogSnapshot): ReadonlyMap<string, AnnouncedControlNet>;
  /** Preprocessor model folders (depth, softedge, openpose) some worker class has. */
  preprocessorModels(snapshot: CatalogSnapshot): ReadonlySet<string>;
}

/** Read from the worker classes' announcements (each worker scans MODELS_DIR/controlnets and /preprocessors). */
export const announcedControlNets: ControlNetLookup = {
  controlnets: (snapshot) => new Map(snapshot.classes.flatMap((record) => record.controlnets).map((net) => [net.name, net])),
  preprocessorModels: (snapshot) => new Set(snapshot.classes.flatMap((record) => record.onnx_models.filter((model) => model.kind === 'preprocessor').map((model) => model.name))),
};
