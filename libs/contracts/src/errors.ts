/** Stable machine-readable error codes carried in `error.code` of failed generations. */
export const ErrorCode = Object.freeze({
  ValidationFailed: 'validation_failed',
  UnknownModel: 'unknown_model',
  UnsupportedParameter: 'unsupported_parameter',
  InvalidImage: 'invalid_image',
  ModelLoadFailed: 'model_load_failed',
  InferenceFailed: 'inference_failed',
  StorageFailed: 'storage_failed',
  Canceled: 'canceled',
  DeadlineExceeded: 'deadline_exceeded',
  NoCapableWorker: 'no_capable_worker',
  Internal: 'internal_error',
} as const);
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
