export { ADAPTER_KINDS, adapterKeys, adapterManifestSchema, adapterNameSchema, type AdapterKind, type AdapterManifest } from './adapter-manifest.js';
export { AdapterRegistry, AdapterImportError } from './adapter-registry.js';
export { syncAdapters } from './adapter-sync.js';
export { importPipeline, importVae, type PipelineManifest, type PipelineOptions, type VaeManifest } from './pipeline-import.js';
