import { ConfigError, type RedisSettings } from '@atelier/config';
import type { RedisClient } from './redis-connection.js';

/** Node's codes for a server certificate that failed verification (a retry never fixes these). */
const CERTIFICATE_REFUSALS: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The Redis server's TLS certificate was refused: a configuration error, reported as one. */
export class RedisCertificateError extends ConfigError {
  readonly code = 'redis_certificate_refused';
  constructor(readonly tlsCode: string) {
    super([
      tlsCode === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? `REDIS_TLS_SERVERNAME: the Redis server's certificate does not name the host connected to (${tlsCode}); set REDIS_TLS_SERVERNAME to a name the certificate carries`
        : `REDIS_TLS_CA_FILE: the Redis server's certificate is not trusted (${tlsCode}); set REDIS_TLS_CA_FILE to the PEM of the CA that signed it (verification is never turned off)`,
    ]);
    this.name = 'RedisCertificateError';
  }
}

export function certificateRefusal(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CERTIFICATE_REFUSALS.has(code) ? code : undefined;
}

/**
 * Start-up gate for TLS: rejects with RedisCertificateError when the server's certificate is
 * refused, instead of the client retrying a handshake that can never succeed while the process
 * looks healthy. Resolves at once without TLS, on the first `ready`, or on any other error (an
 * unreachable Redis keeps its usual behaviour: retried, and /readyz answers 503 meanwhile).
 */
export function assertRedisCertificateTrusted(client: RedisClient, settings: RedisSettings): Promise<void> {
  if (!settings.tls || client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void): void => {
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('node error', onError);
      outcome();
    };
    const onReady = (): void => settle(resolve);
    const onError = (error: unknown): void => {
      const refused = certificateRefusal(error) ?? certificateRefusal((error as { lastNodeError?: unknown }).lastNodeError);
      settle(refused ? () => reject(new RedisCertificateError(refused)) : resolve);
    };
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('node error', onError);
  });
}
