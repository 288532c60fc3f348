import type { Writable } from 'node:stream';

export interface ProgressStream extends Writable {
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * One live line of progress. On a terminal it is redrawn in place; elsewhere (a pipe, a log
 * file, a CI job) each distinct state becomes its own plain line, so logs stay readable.
 */
export class StatusLine {
  private drawn = false;
  private last = '';

  constructor(private readonly stream: ProgressStream) {}

  get live(): boolean {
    return this.stream.isTTY === true;
  }

  update(text: string): void {
    if (text === this.last) return;
    this.last = text;
    if (this.live) {
      // Longer than the terminal, the line would wrap and `\r` could no longer redraw it; 0 means unknown.
      const width = Math.max(20, (this.stream.columns || 100) - 1);
      this.stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      this.drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** A message above the live line, which is then drawn again. */
  log(text: string): void {
    if (this.live && this.drawn) {
      this.stream.write(`\r\x1b[2K${text}\n`);
      const current = this.last;
      this.last = '';
      this.drawn = false;
      if (current) this.update(current);
      return;
    }
    this.stream.write(`${text}\n`);
  }

  /** Leaves the last state on screen and moves below it. */
  finish(): void {
    if (this.live && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
