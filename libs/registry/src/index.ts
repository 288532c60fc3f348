export { ADAPTER_KINDS, adapterKeys, adapterManifestSchema, adapterNameSchema, adapterPrefix, type AdapterKind, type AdapterManifest, type AdapterOwner } from './adapter-manifest.js';
export { AdapterRegistry, AdapterImportError, MAX_PICKLE_BYTES, type AdapterImport } from './adapter-registry.js';
export { adapterCacheRoot, syncAdapters } from './adapter-sync.js';
export { importPipeline, importVae, type PipelineManifest, type PipelineOptions, type VaeManifest } from './pipeline-import.js';
