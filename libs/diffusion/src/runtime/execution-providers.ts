import type { InferenceSession } from 'onnxruntime-node';
import { EXECUTION_PROVIDER_TABLE, ExecutionDevice, executionDeviceEntry } from '@atelier/contracts';

/** A device name of the execution-provider table (libs/contracts/src/execution-providers.ts). */
export type ExecutionProviderName = ExecutionDevice;

/** The device is supported on this platform, but ONNX Runtime could not load its provider here. */
export class ExecutionProviderUnavailableError extends Error {
  readonly code = 'execution_provider_unavailable';

  constructor(
    readonly provider: ExecutionProviderName,
    cause: unknown,
  ) {
    super(`execution provider "${provider}" could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}. ${EXECUTION_PROVIDER_TABLE[provider].needs}`.trim(), { cause });
    this.name = 'ExecutionProviderUnavailableError';
  }
}

/**
 * Session options for a device of the table (its providers, CPU last so that the few ops a GPU
 * provider lacks still run); the requested provider is never silently replaced: the pool
 * verifies it loaded. Throws UnsupportedExecutionDeviceError (listing what this platform
 * supports) for a device onnxruntime-node cannot run here.
 */
export function sessionOptionsFor(provider: ExecutionProviderName, platform?: string): InferenceSession.SessionOptions {
  const entry = executionDeviceEntry(provider, platform);
  const common: InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', enableCpuMemArena: true, enableMemPattern: true };
  const executionProviders = entry.providers.map((name) => (name === 'cuda' || name === 'tensorrt' ? { name, deviceId: 0 } : name));
  if (provider === ExecutionDevice.Cpu) {
    // No arena: each session's arena would keep its largest run's activations for good (2 GB
    // for SD 1.5's VAE decoder at 512², measured), so a worker's peak would be the sum of every
    // component's worst run instead of the largest one. Without it, a run's memory (one block
    // planned by the memory pattern) goes back after the run, at no measured cost in speed.
    return { ...common, enableCpuMemArena: false, executionProviders };
  }
  return { ...common, executionProviders };
}
