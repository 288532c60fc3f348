// Errors carry their code; nothing in production code branches on an error's message text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { messageMatches } from './support/message-matching.js';
import { findWorkspaceRoot, readSources, readWorkspace } from './support/package-graph.js';

const root = findWorkspaceRoot(path.dirname(fileURLToPath(import.meta.url)));
const production = readSources(root, readWorkspace(root)).filter((file) => file.production);

describe('errors carry their code', () => {
  it('no production module branches on error.message', () => {
    assert.ok(production.length > 100, `only ${production.length} production files found`);
    const problems = production.flatMap((file) => messageMatches(file.path, readFileSync(path.join(root, file.path), 'utf8')));
    assert.deepEqual(problems, [], `\n  ${problems.join('\n  ')}`);
  });

  it('flags each shape of branching on a message, and leaves reading one alone', () => {
    const flagged = [
      "if (error.message === 'Connection is closed.') retry();",
      "if ('x' !== err.message) return;",
      "if (error.message.includes('stalled')) lost();",
      "if (error?.message?.startsWith('NOSCRIPT')) load();",
      'if (/stalled more than allowable limit/.test(error.message)) lost();',
      "return reason.message.match(/forbidden/) ? 403 : 500;",
    ];
    for (const line of flagged) assert.equal(messageMatches('x.ts', line).length, 1, line);
    const fine = [
      "logger.warn(`worker: ${error.message}`);",
      'throw new ApiError(400, code, error.message);',
      'const message = error instanceof Error ? error.message : String(error);',
      "return { code: error.code, message: error.message };",
    ];
    for (const line of fine) assert.deepEqual(messageMatches('x.ts', line), [], line);
  });
});
