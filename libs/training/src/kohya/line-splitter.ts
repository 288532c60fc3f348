// tqdm redraws its bar with carriage returns, so a child's output is split on \r as well as \n.

export class LineSplitter {
  private partial = '';
  private readonly decoder = new TextDecoder('utf-8');

  /** Complete lines in this chunk (empty ones dropped). */
  push(chunk: Uint8Array): string[] {
    const text = this.partial + this.decoder.decode(chunk, { stream: true });
    const pieces = text.split(/\r\n|\r|\n/);
    this.partial = pieces.pop() ?? '';
    return pieces.filter((line) => line.trim() !== '');
  }

  /** The line being written: tqdm leaves its latest bar unterminated until the next redraw. */
  pendingLine(): string {
    return this.partial;
  }

  /** Whatever is left when the stream ends. */
  end(): string[] {
    const rest = this.partial + this.decoder.decode();
    this.partial = '';
    return rest.trim() === '' ? [] : [rest];
  }
}
