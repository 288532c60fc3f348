export { assertValidContentType, DEFAULT_CONTENT_TYPE } from './content-type.js';
export { createStorage, type LocalStorageConfig, type S3StorageConfig, type StorageConfig } from './create-storage.js';
export { LOCAL_FILES_PATH, signLocalObject, verifyLocalSignature } from './local-signature.js';
export { LocalStorage, type LocalStorageOptions, type StoredObject } from './local-storage.js';
export { assertValidKeyPrefix, assertValidObjectKey, MAX_OBJECT_KEY_LENGTH } from './object-key.js';
export type { ObjectStorage } from './object-storage.js';
export { MAX_PRESIGN_EXPIRY_SECONDS } from './presign-expiry.js';
export { S3Storage, type S3StorageOptions } from './s3-storage.js';
export { InvalidKeyError, ObjectNotFoundError, StorageUnavailableError } from './storage-errors.js';
