import { AtelierApiError, AtelierNetworkError, AtelierResponseError } from '@atelier/client';
import { UsageError } from './usage-error.js';

/** One human message per failure: what the API said, or why it could not be asked. */
export function describeError(error: unknown, apiUrl: string): string {
  if (error instanceof UsageError) return `${error.message}\nrun \`atelier ${error.command ? `${error.command} ` : ''}--help\` for usage`;
  if (error instanceof AtelierApiError) {
    const where = [error.code, `HTTP ${error.status}`, error.request].filter(Boolean).join(', ');
    const hint = error.status === 401 ? '\nset --api-key or ATELIER_API_KEY' : '';
    return `${error.message} (${where})${hint}`;
  }
  if (error instanceof AtelierNetworkError) return `${error.message}\nis the Atelier API running at ${apiUrl}? (--api-url or ATELIER_API_URL)`;
  if (error instanceof AtelierResponseError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}
