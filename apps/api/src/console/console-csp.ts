import type { AppConfig } from '@atelier/config';

/** Where output images are served from: the API itself (local driver) or the S3 endpoint clients see. */
function imageOrigins(config: AppConfig): string[] {
  const storage = config.storage;
  if (storage.driver === 'local') return [new URL(storage.publicBaseUrl).origin];
  const endpoint = storage.publicEndpoint ?? storage.endpoint;
  // Without an endpoint the SDK presigns virtual-host AWS URLs (https://<bucket>.s3.<region>.amazonaws.com).
  return [endpoint ? new URL(endpoint).origin : 'https://*.amazonaws.com'];
}

/**
 * The API's CSP (`default-src 'none'`) would block the console; the page gets one that allows
 * its own script and stylesheet, calls to the API, and images from the output storage only. The
 * Inpaint view also fetches masks from the storage (an <img> would taint its canvas).
 */
export function consoleCsp(config: AppConfig): string {
  const storage = imageOrigins(config).join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${storage}`,
    `img-src 'self' data: ${storage}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
