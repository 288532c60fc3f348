import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BENCH = path.join(ROOT, 'dist', 'bench', 'main.js');

/** Every table `npm run bench` prints, by the start of its title (a new phase adds its own here). */
const TABLES = [
  'Machine',
  'Denoising step host work, CPU execution provider',
  'Denoising step host work alone',
  'Noise-drawing samplers: per-step noise drawn inline',
  'Noise-drawing samplers around a UNet that leaves the CPU free',
  'ControlNet cost per denoising step',
  'Submit → start latency, idle worker',
  'Submit throughput (',
  'Submit throughput, API as a share of raw queue.add',
  'Batch submission (',
  "Fairness: tenant B's single request",
  'Batching across requests: images/s',
  'Tiled upscale x4',
];

interface PrintedTable {
  readonly title: string;
  readonly headers: string[];
  readonly rows: string[][];
}

/** The Markdown tables of the bench output: title line, blank line, header, rule, rows. */
function tablesOf(output: string): PrintedTable[] {
  const lines = output.split('\n');
  const tables: PrintedTable[] = [];
  for (let index = 0; index + 3 < lines.length; index++) {
    if (lines[index + 1] !== '' || !lines[index + 2].startsWith('| ') || !/^\| -+/.test(lines[index + 3])) continue;
    const cells = (line: string): string[] => line.slice(2, -2).split(' | ').map((cell) => cell.trim());
    const rows: string[][] = [];
    for (let row = index + 4; row < lines.length && lines[row].startsWith('| '); row++) rows.push(cells(lines[row]));
    tables.push({ title: lines[index], headers: cells(lines[index + 2]), rows });
  }
  return tables;
}

describe('npm run bench (smoke scale: every phase, a few requests and steps, no timing asserted)', () => {
  it('completes and prints every table with rows of figures', { timeout: 15 * 60_000 }, async () => {
    const { stdout } = await run(process.execPath, [BENCH], {
      cwd: ROOT,
      env: { ...process.env, BENCH_SCALE: 'smoke' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 14 * 60_000,
    });
    const tables = tablesOf(stdout);
    for (const title of TABLES) {
      const table = tables.find((candidate) => candidate.title.startsWith(title));
      assert.ok(table, `the bench printed no "${title}…" table:\n${stdout}`);
      assert.ok(table.rows.length > 0, `"${table.title}" has no rows`);
      for (const row of table.rows) {
        assert.equal(row.length, table.headers.length, `"${table.title}": a row with ${row.length} cells under ${table.headers.length} headers`);
        assert.ok(row.every((cell) => cell !== '' && cell !== 'NaN'), `"${table.title}": an empty or NaN figure in ${row.join(' | ')}`);
      }
    }
    const machine = tables.find((table) => table.title === 'Machine');
    assert.deepEqual(machine?.rows.map((row) => row[0]), ['CPU', 'cores (logical)', 'RAM', 'OS', 'node', 'load average 1 / 5 / 15 min']);
    assert.ok(machine?.rows.some((row) => row[0] === 'node' && row[1] === process.version));
  });
});
