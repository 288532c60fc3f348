import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface ScriptedDelivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly answered: number;
  readonly verified: boolean;
}

/**
 * A real webhook endpoint whose answers the test scripts: a queue of status codes to return
 * (then 204), and it can be stopped and started again on the same port to simulate an outage.
 */
export class ScriptedReceiver {
  readonly deliveries: ScriptedDelivery[] = [];
  private script: number[] = [];
  private server: Server | undefined;
  private port: number;

  /** `port` 0 picks a free one; a fixed port lets a farm allowlist the receiver before it exists. */
  constructor(
    private readonly secret: string,
    port = 0,
  ) {
    this.port = port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  answerNext(...statuses: number[]): void {
    this.script.push(...statuses);
  }

  async start(): Promise<void> {
    const verifier = new Webhook(this.secret);
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        let verified = true;
        try {
          verifier.verify(body, request.headers as Record<string, string>);
        } catch {
          verified = false;
        }
        const answered = this.script.shift() ?? 204;
        this.deliveries.push({ headers: request.headers, body, answered, verified });
        response.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    this.server = undefined;
  }

  forGeneration(id: string): ScriptedDelivery[] {
    return this.deliveries.filter((delivery) => delivery.body.includes(id));
  }
}
