import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from '@atelier/tenancy';

export type AuthenticatedRequest = Request & { principal?: Principal };

/** The caller, as the auth guard established it. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('route reached without an authenticated principal');
  return principal;
});
