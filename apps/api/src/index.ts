// @atelier/api-app: what other packages (the root-level tests) use of this app.
export { AppModule } from './app.module.js';
export { strictExpress } from './http/strict-express.js';
