import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EXECUTION_DEVICES,
  EXECUTION_PROVIDER_TABLE,
  UnsupportedExecutionDeviceError,
  describeExecutionDevices,
  executionDeviceEntry,
  supportedDevices,
  type OrtPlatform,
} from './execution-providers.js';

const PLATFORMS: readonly OrtPlatform[] = ['linux-x64', 'linux-arm64', 'win32-x64', 'win32-arm64', 'darwin-x64', 'darwin-arm64'];

describe('execution-provider table', () => {
  it('maps every device to providers that start with its own and end with the CPU fallback', () => {
    for (const device of EXECUTION_DEVICES) {
      const { providers } = EXECUTION_PROVIDER_TABLE[device];
      assert.equal(providers[0], device);
      assert.equal(providers.at(-1), 'cpu');
    }
    assert.deepEqual([...EXECUTION_DEVICES].sort(), Object.keys(EXECUTION_PROVIDER_TABLE).sort());
  });

  it('follows onnxruntime-node 1.30\'s platform support', () => {
    assert.deepEqual(supportedDevices('linux-x64'), ['cpu', 'cuda', 'tensorrt', 'webgpu']);
    assert.deepEqual(supportedDevices('linux-arm64'), ['cpu']);
    assert.deepEqual(supportedDevices('win32-x64'), ['cpu', 'webgpu']);
    assert.deepEqual(supportedDevices('darwin-arm64'), ['cpu', 'webgpu']);
    for (const platform of PLATFORMS) assert.ok(supportedDevices(platform).includes('cpu'), platform);
    assert.deepEqual(supportedDevices('aix-ppc64'), []);
  });

  it('gives the entry of a supported device', () => {
    assert.deepEqual(executionDeviceEntry('tensorrt', 'linux-x64').providers, ['tensorrt', 'cuda', 'cpu']);
    assert.deepEqual(executionDeviceEntry('cpu', 'darwin-x64').providers, ['cpu']);
  });

  it('refuses a device the platform does not support, listing what it does', () => {
    assert.throws(
      () => executionDeviceEntry('cuda', 'darwin-arm64'),
      (error: unknown) => {
        assert.ok(error instanceof UnsupportedExecutionDeviceError);
        assert.equal(error.code, 'execution_device_unsupported');
        assert.deepEqual(error.supported, ['cpu', 'webgpu']);
        assert.match(error.message, /"cuda" is not supported by onnxruntime-node 1\.30 on darwin-arm64; supported here: cpu, webgpu/);
        return true;
      },
    );
  });

  it('refuses an unknown device name, listing the supported ones', () => {
    assert.throws(
      () => executionDeviceEntry('tpu', 'linux-x64'),
      (error: unknown) => error instanceof UnsupportedExecutionDeviceError && error.message === 'unknown execution provider "tpu"; supported here (linux-x64): cpu, cuda, tensorrt, webgpu',
    );
  });

  it('describes the devices for help texts', () => {
    assert.equal(describeExecutionDevices(), 'cpu, cuda, tensorrt or webgpu');
    assert.equal(describeExecutionDevices(['cpu']), 'cpu');
  });
});
