type JsonObject = Record<string, unknown>;

/** OpenAPI paths of the web console and the queue summary it shows. */
export function consoleOpenApi(): JsonObject {
  return {
    '/': { get: { summary: 'Web console (HTML; asks for an API key, kept in localStorage)', security: [], responses: { '200': { description: 'HTML page' } } } },
    '/v1/queues': {
      get: { summary: 'Job counts per generation queue and the live workers on each', responses: { '200': { description: '{ object: "list", data: [{ name, counts: { waiting, prioritized, active, delayed, completed, failed }, workers, draining }] }' } } },
    },
  };
}
