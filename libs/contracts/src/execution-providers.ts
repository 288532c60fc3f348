/**
 * The one execution-provider table: which device names exist, which ONNX Runtime execution
 * providers each one asks for (CPU last, so the few ops a GPU provider lacks still run), and on
 * which platforms the prebuilt onnxruntime-node 1.30 binaries support it (its README's table).
 * Config validation, the session pool, the pipeline CLI and the error hints all read it.
 */
export const ExecutionDevice = Object.freeze({
  Cpu: 'cpu',
  Cuda: 'cuda',
  TensorRt: 'tensorrt',
  WebGpu: 'webgpu',
} as const);
export type ExecutionDevice = (typeof ExecutionDevice)[keyof typeof ExecutionDevice];

/** Every device name, in the order help texts list them. */
export const EXECUTION_DEVICES = Object.freeze(Object.values(ExecutionDevice)) as readonly [ExecutionDevice, ...ExecutionDevice[]];

/** `<process.platform>-<process.arch>`, the granularity onnxruntime-node ships binaries at. */
export type OrtPlatform = 'linux-x64' | 'linux-arm64' | 'win32-x64' | 'win32-arm64' | 'darwin-x64' | 'darwin-arm64';

export interface ExecutionDeviceEntry {
  /** ONNX Runtime execution provider names, in preference order. */
  readonly providers: readonly string[];
  /** Platforms whose onnxruntime-node 1.30 binaries can load the first provider. */
  readonly platforms: readonly OrtPlatform[];
  /** What a host needs besides the platform; shown when the provider fails to load. */
  readonly needs: string;
}

const EVERY_PLATFORM: readonly OrtPlatform[] = ['linux-x64', 'linux-arm64', 'win32-x64', 'win32-arm64', 'darwin-x64', 'darwin-arm64'];

export const EXECUTION_PROVIDER_TABLE: Readonly<Record<ExecutionDevice, ExecutionDeviceEntry>> = Object.freeze({
  cpu: { providers: ['cpu'], platforms: EVERY_PLATFORM, needs: '' },
  cuda: {
    providers: ['cuda', 'cpu'],
    platforms: ['linux-x64'],
    needs: 'install the CUDA build of onnxruntime-node (npm install --onnxruntime-node-install=cuda12) with CUDA 12 and cuDNN 9 libraries on the library path',
  },
  tensorrt: {
    providers: ['tensorrt', 'cuda', 'cpu'],
    platforms: ['linux-x64'],
    needs: 'install the CUDA build of onnxruntime-node and the TensorRT 10 libraries',
  },
  webgpu: {
    providers: ['webgpu', 'cpu'],
    // Not in the linux-arm64 prebuilt binaries (onnxruntime-node README, footnote 2).
    platforms: ['linux-x64', 'win32-x64', 'win32-arm64', 'darwin-x64', 'darwin-arm64'],
    needs: 'the GPU needs a Vulkan driver and loader (libvulkan1) visible to the process',
  },
});

export function isExecutionDevice(value: string): value is ExecutionDevice {
  return (EXECUTION_DEVICES as readonly string[]).includes(value);
}

export function currentOrtPlatform(): string {
  return `${process.platform}-${process.arch}`;
}

/** Devices onnxruntime-node supports on `platform` (this host's by default). */
export function supportedDevices(platform: string = currentOrtPlatform()): ExecutionDevice[] {
  return EXECUTION_DEVICES.filter((device) => (EXECUTION_PROVIDER_TABLE[device].platforms as readonly string[]).includes(platform));
}

export class UnsupportedExecutionDeviceError extends Error {
  readonly code = 'execution_device_unsupported';

  constructor(
    readonly device: string,
    readonly platform: string,
    readonly supported: readonly ExecutionDevice[],
  ) {
    const known = isExecutionDevice(device);
    super(
      known
        ? `execution provider "${device}" is not supported by onnxruntime-node 1.30 on ${platform}; supported here: ${supported.join(', ') || 'none'}`
        : `unknown execution provider "${device}"; supported here (${platform}): ${supported.join(', ') || 'none'}`,
    );
    this.name = 'UnsupportedExecutionDeviceError';
  }
}

/** The table's entry for `device` on `platform`, or an error that lists what this platform supports. */
export function executionDeviceEntry(device: string, platform: string = currentOrtPlatform()): ExecutionDeviceEntry {
  const supported = supportedDevices(platform);
  if (!isExecutionDevice(device) || !supported.includes(device)) throw new UnsupportedExecutionDeviceError(device, platform, supported);
  return EXECUTION_PROVIDER_TABLE[device];
}

/** One line for help texts: `cpu, cuda, tensorrt or webgpu`. */
export function describeExecutionDevices(devices: readonly string[] = EXECUTION_DEVICES): string {
  return devices.length <= 1 ? devices.join('') : `${devices.slice(0, -1).join(', ')} or ${devices.at(-1)}`;
}
