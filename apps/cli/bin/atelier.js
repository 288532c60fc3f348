#!/usr/bin/env node
// The `atelier` command: runs the compiled CLI (`npm run build` writes dist/).
const entry = new URL('../../../dist/apps/cli/src/main.js', import.meta.url);
try {
  await import(entry.href);
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/apps/cli/src/main.js')) {
    console.error(`atelier: ${entry.pathname} is missing; build the project first (npm run build)`);
    process.exit(1);
  }
  throw error;
}
