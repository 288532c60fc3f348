import { SetMetadata, UseGuards, applyDecorators, type CanActivate, type Type } from '@nestjs/common';
import type { Scope } from '@atelier/tenancy';

export const REQUIRED_SCOPE = 'atelier:required-scope';
export const PUBLIC_ROUTE = 'atelier:public-route';
export const DELEGATED_AUTH = 'atelier:delegated-auth';

/** The scope a route needs; routes without it need `generate`. */
export const RequireScope = (scope: Scope): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_SCOPE, scope);

/**
 * A route anyone may call without a key. Everything else needs one (the global AuthGuard denies
 * by default): only health, readiness and the console's static assets are marked public.
 */
export const PublicRoute = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/**
 * Routes whose clients present credentials another way (A1111 basic auth, the metrics scrape
 * token): the global AuthGuard hands the decision to `guard`, which is attached in the same
 * decorator so a route can never be exempted from the global guard without a guard of its own.
 */
export const AuthenticatedBy = (guard: Type<CanActivate>): MethodDecorator & ClassDecorator => applyDecorators(SetMetadata(DELEGATED_AUTH, true), UseGuards(guard));
