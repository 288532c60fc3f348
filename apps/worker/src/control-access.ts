import type { IncomingMessage } from 'node:http';
import { bearerToken, secretsEqual } from '@atelier/tenancy';

export type ControlDecision = { readonly allowed: true } | { readonly allowed: false; readonly status: 401 | 403; readonly message: string };

/**
 * Who may drain or undrain this worker through its metrics port (which Prometheus and kubelet
 * reach over the network): with WORKER_CONTROL_TOKEN set, whoever presents
 * `Authorization: Bearer <token>` (compared in constant time); without it, callers on the
 * loopback interface only (the pod's own preStop hook, an operator on the host).
 */
export function controlAccess(request: IncomingMessage, token: string | undefined): ControlDecision {
  if (token !== undefined) {
    const presented = bearerToken(request.headers.authorization);
    if (presented !== undefined && secretsEqual(presented, token)) return { allowed: true };
    return { allowed: false, status: 401, message: 'Authorization: Bearer <WORKER_CONTROL_TOKEN> required' };
  }
  if (isLoopback(request.socket.remoteAddress)) return { allowed: true };
  return { allowed: false, status: 403, message: 'set WORKER_CONTROL_TOKEN to drain this worker from another host' };
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
