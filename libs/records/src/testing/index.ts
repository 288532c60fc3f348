// @atelier/records/testing: test helpers for other packages' tests. Production code never imports this entry.
export { resolvedRequest } from './resolved-request.js';
