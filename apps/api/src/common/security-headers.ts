import type { NextFunction, Request, Response } from 'express';

/** Conservative headers for a JSON API; the Swagger UI under /docs needs its own scripts and styles. */
export function securityHeaders(request: Request, response: Response, next: NextFunction): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  if (!request.path.startsWith('/docs')) response.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  if (request.secure) response.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  next();
}
