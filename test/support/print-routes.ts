import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { loadAppConfig } from '@atelier/config';
import { AppModule } from '@atelier/api-app';
import { strictExpress } from '@atelier/api-app';

interface RouterLayer {
  readonly route?: { readonly path: unknown; readonly methods: Readonly<Record<string, boolean>> };
}

/**
 * Prints, as JSON, the `{ method, path }` of every route in the Express router stack of an API
 * built from the real AppModule with this process's environment (registered-routes.ts runs it).
 */
const config = await loadAppConfig(process.env);
const app = await NestFactory.create(AppModule.forConfig(config), new ExpressAdapter(strictExpress()), { logger: false, bodyParser: false });
await app.init();
const stack = (app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } }).router.stack;
const routes: { method: string; path: string }[] = [];
for (const layer of stack) {
  if (!layer.route || typeof layer.route.path !== 'string') continue;
  for (const [method, enabled] of Object.entries(layer.route.methods)) {
    if (enabled) routes.push({ method: method === '_all' ? 'GET' : method.toUpperCase(), path: layer.route.path });
  }
}
process.stdout.write(JSON.stringify(routes));
await app.close();
// Some connections the API opens are not closed by app.close(); this one-shot process just ends.
process.exit(0);
