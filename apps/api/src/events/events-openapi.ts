type JsonObject = Record<string, unknown>;

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const stream = (description: string): JsonObject => ({ description, content: { 'text/event-stream': { schema: { type: 'string' } } } });

/** OpenAPI paths of the live-progress streams. */
export function eventsOpenApi(): JsonObject {
  return {
    '/v1/generations/{id}/events': {
      get: {
        summary: 'Live progress (Server-Sent Events)',
        description:
          'Events: `queued` {position: jobs ahead in its queue} (again when it changes), `running`, `progress` {step, total} (increasing), then `succeeded`, `failed` or `canceled` with the generation; the server then closes the stream (close EventSource clients on the final event).',
        parameters: [idParam],
        responses: { '200': stream('Event stream'), '404': { description: 'No such generation for this tenant' } },
      },
    },
    '/v1/batches/{id}/events': {
      get: { summary: 'Batch counts live (Server-Sent Events)', description: '`counts` {total, counts per state} whenever they change, then `completed` with the batch.', parameters: [idParam], responses: { '200': stream('Event stream'), '404': { description: 'No such batch for this tenant' } } },
    },
    '/v1/trainings/{id}/events': {
      get: {
        summary: 'Training progress live (Server-Sent Events; train scope)',
        description: '`queued` {position}, `running`, `progress` {step, total, loss}, `checkpoint`, `sample` {url}, then `succeeded`, `failed` or `canceled` with the training.',
        parameters: [idParam],
        responses: { '200': stream('Event stream'), '404': { description: 'No such training for this tenant' } },
      },
    },
  };
}
