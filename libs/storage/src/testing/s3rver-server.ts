import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface RunningS3rver {
  /** `http://127.0.0.1:<port>`; use with `forcePathStyle: true` and any region. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Stops the server and deletes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** GET and HEAD from any origin: what a deployment's bucket needs for the web console. */
const BROWSER_READ_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

/** s3rver accepts only its built-in account. */
const S3RVER_CREDENTIAL = 'S3RVER';

/**
 * A real S3-protocol server (s3rver) on a free loopback port, storing into a fresh temp directory,
 * with `bucket` already created. For tests anywhere in the project.
 */
export async function startS3rver({ bucket }: { bucket: string }): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'atelier-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    // Browsers read outputs cross-origin (the console's Inpaint view fetches masks), as a real bucket's CORS rule allows.
    configureBuckets: [{ name: bucket, configs: [BROWSER_READ_CORS] }],
  });
  let address;
  try {
    address = await server.run();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    accessKeyId: S3RVER_CREDENTIAL,
    secretAccessKey: S3RVER_CREDENTIAL,
    stop: () => {
      stopped ??= server.close().then(() => rm(directory, { recursive: true, force: true }));
      return stopped;
    },
  };
}
