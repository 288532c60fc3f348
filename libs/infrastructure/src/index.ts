export {
  createAdapterRegistry,
  createJobRuntime,
  createKeys,
  createLifecycles,
  createMetrics,
  createObjectStorage,
  createOnnxModelRegistry,
  createRecords,
  createTenantLimits,
  type Lifecycles,
  type Records,
} from './factories.js';
