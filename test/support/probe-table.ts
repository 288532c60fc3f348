import { after } from 'node:test';

/** One row of the security suite's report: what an attacker tried, what must happen, what did. */
export interface ProbeRow {
  readonly probe: string;
  readonly expected: string;
  readonly observed: string;
}

/**
 * Collects the probes of one security test file and prints them as a table when the file ends,
 * so a run of `npm test` shows every attack tried and its outcome, not only pass/fail.
 */
export class ProbeTable {
  private readonly rows: ProbeRow[] = [];

  constructor(private readonly title: string) {
    after(() => this.print());
  }

  /** Records a probe; the caller still asserts on `observed` (the table is a report, not a check). */
  record(probe: string, expected: string, observed: string | number): void {
    this.rows.push({ probe, expected, observed: String(observed) });
  }

  private print(): void {
    if (this.rows.length === 0) return;
    const widths = {
      probe: Math.max(5, ...this.rows.map((row) => row.probe.length)),
      expected: Math.max(8, ...this.rows.map((row) => row.expected.length)),
    };
    const line = (probe: string, expected: string, observed: string): string => `| ${probe.padEnd(widths.probe)} | ${expected.padEnd(widths.expected)} | ${observed}`;
    const text = [`\n${this.title}`, line('probe', 'expected', 'observed'), line('-'.repeat(widths.probe), '-'.repeat(widths.expected), '--------'), ...this.rows.map((row) => line(row.probe, row.expected, row.observed))].join('\n');
    process.stdout.write(`${text}\n`);
  }
}
