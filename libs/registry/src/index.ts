export { ADAPTER_KINDS, adapterKeys, adapterManifestSchema, adapterNameSchema, type AdapterKind, type AdapterManifest } from './adapter-manifest.js';
export { AdapterRegistry, AdapterImportError } from './adapter-registry.js';
export { syncAdapters } from './adapter-sync.js';
export { importPipeline, type PipelineManifest } from './pipeline-import.js';
