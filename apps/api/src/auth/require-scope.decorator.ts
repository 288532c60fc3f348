import { SetMetadata } from '@nestjs/common';
import type { Scope } from '#libs/tenancy/src/index.js';

export const REQUIRED_SCOPE = 'atelier:required-scope';
export const PUBLIC_ROUTE = 'atelier:public-route';

/** The scope a route needs; /v1 routes without it need `generate`. */
export const RequireScope = (scope: Scope): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_SCOPE, scope);
export const PublicRoute = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
