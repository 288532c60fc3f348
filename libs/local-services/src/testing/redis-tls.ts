import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from '../free-port.js';
import { which } from '../which.js';
import { spawnRedisProcess, type RedisProcess } from './redis-process.js';

const run = promisify(execFile);

/** PEM files of a throw-away PKI: a CA, a server certificate it signed (localhost, 127.0.0.1), and an unrelated CA. */
export interface TestCertificates {
  readonly caFile: string;
  readonly untrustedCaFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Generates TestCertificates into `dir` with openssl (valid one day). */
export async function generateTestCertificates(dir: string): Promise<TestCertificates> {
  const openssl = await which('openssl');
  if (!openssl) throw new OpensslMissingError();
  const file = (name: string): string => path.join(dir, name);
  const ssl = (args: string[]): Promise<unknown> => run(openssl, args, { cwd: dir, timeout: 30_000 });
  for (const ca of ['ca', 'other-ca']) {
    await ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${ca}.key`), '-out', file(`${ca}.crt`), '-days', '1', '-subj', `/CN=atelier-test-${ca}`]);
  }
  await ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
  await writeFile(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await ssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '1', '-extfile', file('san.ext')]);
  return { caFile: file('ca.crt'), untrustedCaFile: file('other-ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}

/** redis-server arguments that make it speak TLS with `certificates` (clients are not asked for one). */
export function tlsServerArguments(certificates: TestCertificates): string[] {
  return ['--tls-cert-file', certificates.certFile, '--tls-key-file', certificates.keyFile, '--tls-ca-cert-file', certificates.caFile, '--tls-auth-clients', 'no'];
}

export interface LocalTlsRedis {
  /** `rediss://localhost:<port>`: the certificate names localhost and 127.0.0.1. */
  readonly url: string;
  /** PEM file of the CA that signed the server certificate. */
  readonly caFile: string;
  /** PEM file of another CA, which signed nothing this server presents. */
  readonly untrustedCaFile: string;
  readonly server: RedisProcess;
  stop(): Promise<void>;
}

export class OpensslMissingError extends Error {
  readonly code = 'openssl_missing';
  constructor() {
    super('openssl was not found on PATH: it generates the throw-away CA for the TLS test (apt-get install -y openssl)');
    this.name = 'OpensslMissingError';
  }
}

/**
 * A redis-server that speaks TLS only (`--port 0 --tls-port`), its certificate signed by a CA
 * generated with openssl for this run, and a second CA to prove an untrusted certificate is refused.
 */
export async function startTlsRedis(): Promise<LocalTlsRedis> {
  const dir = await mkdtemp(path.join(tmpdir(), 'atelier-tls-'));
  try {
    const certificates = await generateTestCertificates(dir);
    const port = await findFreePort();
    const server = await spawnRedisProcess(port, ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', ...tlsServerArguments(certificates), '--dir', dir, '--appendonly', 'no', '--save', '', '--maxmemory-policy', 'noeviction']);
    return {
      url: `rediss://localhost:${port}`,
      caFile: certificates.caFile,
      untrustedCaFile: certificates.untrustedCaFile,
      server,
      stop: async () => {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
