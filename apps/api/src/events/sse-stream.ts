import type { Response } from 'express';

/** Keeps proxies and load balancers from closing an idle stream (most cut at 30–60 s). */
const KEEP_ALIVE_MS = 15_000;

/**
 * One `text/event-stream` response. `signal` aborts when the client goes away, so producers stop
 * reading Redis for nobody. The response's `close` event is used, not the request's: since Node 16
 * a GET request emits `close` as soon as its (empty) body is consumed.
 */
export class SseStream {
  private readonly controller = new AbortController();
  private readonly keepAlive: NodeJS.Timeout;

  constructor(private readonly response: Response) {
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.setHeader('Connection', 'keep-alive');
    // nginx buffers proxied responses unless told otherwise; events would arrive in bursts.
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    response.write('retry: 2000\n\n');
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    response.on('close', () => this.stop());
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Resolves after `ms`, or at once when the client disconnects. */
  async sleep(ms: number): Promise<void> {
    if (this.closed) return;
    const signal = this.signal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  end(): void {
    if (!this.response.writableEnded) this.response.end();
    this.stop();
  }

  private write(chunk: string): void {
    if (!this.closed && !this.response.writableEnded) this.response.write(chunk);
  }

  private stop(): void {
    clearInterval(this.keepAlive);
    this.controller.abort();
  }
}
