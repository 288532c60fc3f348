import { LocalStorage, type LocalStorageOptions } from './local-storage.js';
import type { ObjectStorage } from './object-storage.js';
import { S3Storage, type S3StorageOptions } from './s3-storage.js';

export type LocalStorageConfig = { readonly driver: 'local' } & LocalStorageOptions;
export type S3StorageConfig = { readonly driver: 's3' } & S3StorageOptions;
export type StorageConfig = LocalStorageConfig | S3StorageConfig;

export function createStorage(config: LocalStorageConfig): LocalStorage;
export function createStorage(config: S3StorageConfig): S3Storage;
export function createStorage(config: StorageConfig): ObjectStorage;
export function createStorage(config: StorageConfig): ObjectStorage {
  switch (config.driver) {
    case 'local':
      return new LocalStorage(config);
    case 's3':
      return new S3Storage(config);
    default:
      return assertNever(config);
  }
}

function assertNever(config: never): never {
  throw new TypeError(`Unknown storage driver ${JSON.stringify((config as { driver?: unknown }).driver)}`);
}
