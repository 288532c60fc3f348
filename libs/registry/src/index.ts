export { ADAPTER_KINDS, adapterKeys, adapterManifestSchema, adapterNameSchema, adapterPrefix, type AdapterKind, type AdapterManifest, type AdapterOwner } from './adapter-manifest.js';
export { AdapterRegistry, AdapterImportError, MAX_PICKLE_BYTES, type AdapterImport } from './adapter-registry.js';
export { adapterCacheRoot, syncAdapters } from './adapter-sync.js';
export { importPipeline, importVae, type PipelineManifest, type PipelineOptions, type VaeManifest } from './pipeline-import.js';
export {
  CONTROLNET_FAMILIES,
  ONNX_FILE_NAMES,
  ONNX_GRAPH_ROLES,
  ONNX_MODEL_KINDS,
  ONNX_PREPROCESSORS,
  localFolderOf,
  onnxModelManifestSchema,
  onnxModelPrefix,
  type ControlNetFamily,
  type OnnxFileManifest,
  type OnnxFileRole,
  type OnnxGraphRole,
  type OnnxModelKind,
  type OnnxModelManifest,
  type OnnxPreprocessor,
} from './onnx-model-manifest.js';
export { OnnxModelImportError, type OnnxModelImportErrorCode } from './onnx-model-errors.js';
export { deriveModelFacts, familyFromConfig, graphRolesOf, type ModelFacts, type SuppliedFacts } from './onnx-model-facts.js';
export { OnnxModelRegistry, type OnnxModelImport } from './onnx-model-registry.js';
export { onnxModelCacheDir, syncOnnxModels } from './onnx-model-sync.js';
export { listOnnxModels, locateOnnxModel, type AnnouncedOnnxModel, type LocatedOnnxModel, type OnnxModelDirs } from './onnx-model-locate.js';
