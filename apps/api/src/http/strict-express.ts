import express, { type Express } from 'express';

/**
 * The Express instance Nest runs on. Routing is case-sensitive: `/V1/admin/keys` is not
 * `/v1/admin/keys` (a 404), so a path's spelling never selects a different route or policy.
 * The setting must be made before anything touches `app.router`, which Nest's adapter does in its
 * constructor, hence this instance is created here and handed to `new ExpressAdapter(...)`.
 */
export function strictExpress(): Express {
  const instance = express();
  instance.set('case sensitive routing', true);
  return instance;
}
