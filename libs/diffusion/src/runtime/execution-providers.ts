import type { InferenceSession } from 'onnxruntime-node';

export type ExecutionProviderName = 'cpu' | 'cuda' | 'tensorrt' | 'webgpu';

export class ExecutionProviderUnavailableError extends Error {
  constructor(provider: ExecutionProviderName, cause: unknown) {
    const hint: Record<ExecutionProviderName, string> = {
      cpu: '',
      cuda: 'install the CUDA build of onnxruntime-node (npm install --onnxruntime-node-install=cuda12) with CUDA 12 and cuDNN 9 libraries on the library path',
      tensorrt: 'install the CUDA build of onnxruntime-node and the TensorRT 10 libraries',
      webgpu: 'the GPU needs a Vulkan driver and loader (libvulkan1) visible to the process',
    };
    super(`execution provider "${provider}" could not be loaded: ${(cause as Error).message ?? String(cause)}. ${hint[provider]}`.trim());
    this.name = 'ExecutionProviderUnavailableError';
  }
}

/**
 * The one place that maps a device choice to ONNX Runtime session options. CPU stays last in
 * every list so that the few ops a GPU provider lacks still run, but the requested provider is
 * never silently replaced: the pool verifies it loaded.
 */
export function sessionOptionsFor(provider: ExecutionProviderName): InferenceSession.SessionOptions {
  const common: InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', enableCpuMemArena: true, enableMemPattern: true };
  switch (provider) {
    case 'cpu':
      // No arena: each session's arena would keep its largest run's activations for good (2 GB
      // for SD 1.5's VAE decoder at 512², measured), so a worker's peak would be the sum of every
      // component's worst run instead of the largest one. Without it, a run's memory (one block
      // planned by the memory pattern) goes back after the run, at no measured cost in speed.
      return { ...common, enableCpuMemArena: false, executionProviders: ['cpu'] };
    case 'cuda':
      return { ...common, executionProviders: [{ name: 'cuda', deviceId: 0 }, 'cpu'] };
    case 'tensorrt':
      return { ...common, executionProviders: [{ name: 'tensorrt', deviceId: 0 }, { name: 'cuda', deviceId: 0 }, 'cpu'] };
    case 'webgpu':
      return { ...common, executionProviders: ['webgpu', 'cpu'] };
  }
}
