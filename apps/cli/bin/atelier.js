#!/usr/bin/env node
// The `atelier` command: runs the compiled CLI (`npm run build` writes apps/cli/dist/).
const entry = new URL('../dist/main.js', import.meta.url);
try {
  await import(entry.href);
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('apps/cli/dist/main.js')) {
    console.error(`atelier: ${entry.pathname} is missing; build the project first (npm run build)`);
    process.exit(1);
  }
  throw error;
}
