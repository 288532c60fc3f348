import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { readRequestBody, startHttpServer } from './http-test-server.js';

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Parsed payload when the reference library verified the request, else undefined. */
  readonly payload: unknown;
  readonly verificationError?: string;
}

export interface RunningWebhookReceiver {
  readonly url: string;
  readonly received: readonly ReceivedWebhook[];
  stop(): Promise<void>;
}

/**
 * A real HTTP endpoint that checks every request with the `standardwebhooks` reference library
 * (not our own verifier, so signing bugs cannot cancel out) and answers 204 or 400. For tests
 * here and for end-to-end tests of the API's webhook dispatch.
 */
export async function startWebhookReceiver({ secret }: { secret: string }): Promise<RunningWebhookReceiver> {
  const verifier = new Webhook(secret);
  const received: ReceivedWebhook[] = [];
  const server = await startHttpServer((request, response) => {
    void readRequestBody(request).then((body) => {
      const headers = request.headers;
      try {
        const payload = verifier.verify(body, stringHeaders(headers));
        received.push({ headers, body, payload });
        response.writeHead(204).end();
      } catch (error) {
        const verificationError = error instanceof Error ? error.message : String(error);
        received.push({ headers, body, payload: undefined, verificationError });
        response.writeHead(400, { 'content-type': 'text/plain' }).end(verificationError);
      }
    });
  });
  return { url: server.url, received, stop: server.stop };
}

function stringHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') result[name] = value;
  return result;
}
