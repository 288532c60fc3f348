import { Logger } from '@nestjs/common';
import type { Response } from 'express';
import { SseStream } from './sse-stream.js';
import type { StreamSource } from './stream-source.js';

/**
 * Records are polled rather than pushed. Workers write progress with a plain HSET (no
 * notification), queued jobs are canceled by the API, and terminal states come from an atomic
 * script: the record is the one place every change lands. Keyspace notifications would need a
 * Redis setting managed services often refuse, and pub/sub or blocking stream reads need a
 * dedicated connection per open stream; one HGETALL per stream every 250 ms is cheap and
 * matches the workers' progress write interval.
 */
export const RECORD_POLL_INTERVAL_MS = 250;

const logger = new Logger('EventStream');

/**
 * Serves `source` as Server-Sent Events on `response` until its state is final or the client
 * leaves. Ownership must be checked before calling: from here on the status is 200 and failures
 * travel as an `error` event.
 */
export async function streamRecord<S>(response: Response, source: StreamSource<S>, intervalMs = RECORD_POLL_INTERVAL_MS): Promise<void> {
  const stream = new SseStream(response);
  let previous: S | undefined;
  try {
    while (!stream.closed) {
      const current = await source.read();
      if (current === undefined) {
        stream.send('error', { code: 'not_found', message: 'the record no longer exists' });
        break;
      }
      for (const event of await source.changes(previous, current)) stream.send(event.event, event.data);
      if (source.isFinal(current)) break;
      previous = current;
      await stream.sleep(intervalMs);
    }
  } catch (error) {
    logger.warn(`event stream failed: ${error instanceof Error ? error.message : String(error)}`);
    stream.send('error', { code: 'stream_failed', message: 'the event stream failed; reconnect to resume from the current state' });
  } finally {
    stream.end();
  }
}
