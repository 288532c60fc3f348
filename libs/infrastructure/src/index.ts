export {
  createAdapterRegistry,
  createJobRuntime,
  createKeys,
  createLifecycles,
  createMetrics,
  createObjectStorage,
  createRecords,
  createTenantLimits,
  type Lifecycles,
  type Records,
} from './factories.js';
