import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertValidContentType } from './content-type.js';
import { assertValidKeyPrefix, assertValidObjectKey } from './object-key.js';
import type { ObjectStorage } from './object-storage.js';
import { assertValidPresignExpiry } from './presign-expiry.js';
import { putStreamMultipart } from './s3-multipart-put.js';
import { ObjectNotFoundError, StorageUnavailableError } from './storage-errors.js';

export interface S3StorageOptions {
  /** Omit for AWS itself; set for MinIO, R2, s3rver... e.g. `http://minio:9000`. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key`; most self-hosted servers need it. */
  readonly forcePathStyle: boolean;
  /**
   * Endpoint written into presigned URLs when clients reach S3 through another address than this
   * process does (e.g. `http://minio:9000` inside compose, `http://localhost:9000` for browsers).
   * The host is part of the SigV4 signature, so URLs are signed for this endpoint, not rewritten.
   */
  readonly publicEndpoint?: string;
  /** Per-request limit; keeps `ping` from hanging on a black-holed address. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

const CONNECTION_TIMEOUT_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class S3Storage implements ObjectStorage {
  private readonly client: S3Client;
  private readonly presignClient: S3Client;
  private readonly bucket: string;
  private readonly target: string;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client(clientConfig(options, options.endpoint));
    this.presignClient =
      options.publicEndpoint === undefined ? this.client : new S3Client(clientConfig(options, options.publicEndpoint));
    this.target = `s3://${options.bucket} via ${options.endpoint ?? `AWS ${options.region}`}`;
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    assertValidObjectKey(key);
    assertValidContentType(contentType);
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async putStream(key: string, body: NodeJS.ReadableStream, contentType: string): Promise<void> {
    assertValidObjectKey(key);
    assertValidContentType(contentType);
    await putStreamMultipart(this.client, this.bucket, key, body, contentType);
  }

  async get(key: string): Promise<Buffer> {
    assertValidObjectKey(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return response.Body === undefined ? Buffer.alloc(0) : Buffer.from(await response.Body.transformToByteArray());
    } catch (error) {
      if (isMissingObject(error)) throw new ObjectNotFoundError(key, { cause: error });
      throw error;
    }
  }

  async openReadStream(key: string): Promise<NodeJS.ReadableStream> {
    assertValidObjectKey(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (response.Body === undefined) return Readable.from([]);
      return response.Body as Readable;
    } catch (error) {
      if (isMissingObject(error)) throw new ObjectNotFoundError(key, { cause: error });
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    assertValidObjectKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissingObject(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidObjectKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async list(prefix: string): Promise<string[]> {
    assertValidKeyPrefix(prefix);
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken }),
      );
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
    return keys.sort();
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    assertValidObjectKey(key);
    assertValidPresignExpiry(expiresInSeconds);
    return getSignedUrl(this.presignClient, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }

  async presignPut(key: string, contentType: string, expiresInSeconds: number): Promise<string> {
    assertValidObjectKey(key);
    assertValidContentType(contentType);
    assertValidPresignExpiry(expiresInSeconds);
    return getSignedUrl(this.presignClient, new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }), { expiresIn: expiresInSeconds });
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw new StorageUnavailableError(this.describe(), { cause: error });
    }
  }

  /** Creates the bucket when it does not exist yet; for development and tests, not production. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      // Another process won the race to create it; that is the outcome we wanted.
      if (!(error instanceof S3ServiceException && error.name === 'BucketAlreadyOwnedByYou')) throw error;
    }
  }

  describe(): string {
    return this.target;
  }

  /** Closes pooled sockets; call on shutdown. */
  destroy(): void {
    this.client.destroy();
    if (this.presignClient !== this.client) this.presignClient.destroy();
  }
}

function clientConfig(options: S3StorageOptions, endpoint: string | undefined): S3ClientConfig {
  return {
    endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    },
    // The SDK's default CRC32 trailers (aws-chunked bodies) are not understood by several
    // S3-compatible servers; MD5/checksums are still sent where an operation requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

function isMissingObject(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound');
}

function isNotFound(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NotFound' || error.$metadata.httpStatusCode === 404);
}
