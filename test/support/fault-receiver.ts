import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly answered: number;
  readonly verified: boolean;
  readonly at: number;
}

export interface HeldDelivery {
  /** Resolves when a matching delivery has arrived (its answer is held back). */
  readonly arrived: Promise<void>;
  /** Sends the held answer (default 204). */
  release(status?: number): void;
}

interface Hold {
  readonly match: (body: string) => boolean;
  readonly arrived: () => void;
  readonly released: Promise<number>;
}

/**
 * A real webhook endpoint for fault-injection tests: verifies every request with the
 * `standardwebhooks` reference library, answers 204, can stop and start again on the same port
 * (receiver outage), and can hold its answer to one chosen delivery until the test releases it,
 * so a fault can be injected while the sender waits for the answer.
 */
export class FaultReceiver {
  readonly deliveries: ReceivedDelivery[] = [];
  private readonly holds: Hold[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  hold(match: (body: string) => boolean): HeldDelivery {
    let arrived!: () => void;
    let release!: (status: number) => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const released = new Promise<number>((resolve) => (release = resolve));
    this.holds.push({ match, arrived, released });
    return { arrived: arrival, release: (status = 204) => release(status) };
  }

  async start(): Promise<void> {
    if (this.server) return;
    const verifier = new Webhook(this.secret);
    const server = createServer((request, response) => {
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
        const index = this.holds.findIndex((hold) => hold.match(body));
        const hold = index >= 0 ? this.holds.splice(index, 1)[0] : undefined;
        const answer = (status: number): void => {
          this.deliveries.push({ headers: request.headers, body, answered: status, verified, at: Date.now() });
          response.writeHead(status).end();
        };
        if (!hold) return answer(204);
        hold.arrived();
        void hold.released.then(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Receiver outage: stops listening and drops every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}
