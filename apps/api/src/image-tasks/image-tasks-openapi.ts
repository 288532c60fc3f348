import { z } from 'zod';
import { preprocessRequestSchema } from '@atelier/contracts';

type JsonObject = Record<string, unknown>;

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^tsk_[0-9a-f]{32}$' } };
const json = (ref: string): JsonObject => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const ok = (description: string, ref?: string): JsonObject => ({ description, ...(ref ? json(ref) : {}) });
const stream = (description: string): JsonObject => ({ description, content: { 'text/event-stream': { schema: { type: 'string' } } } });
const errors = { '400': ok('Invalid request: the field and the reason', 'Error'), '404': ok('No such task for this tenant', 'Error') };

/** The routes every image task kind shares, under `/v1/tasks` and under its own alias (`/v1/preprocess`). */
function taskRoutes(base: string, what: string): JsonObject {
  return {
    [`${base}/{id}`]: { get: { summary: `${what}: status, progress and the output URLs`, parameters: [idParam], responses: { '200': ok('The task', 'ImageTask'), ...errors } } },
    [`${base}/{id}/cancel`]: {
      post: {
        summary: `Cancel a queued or running ${what.toLowerCase()}`,
        parameters: [idParam],
        responses: { '200': ok('Canceled', 'ImageTask'), '202': ok('Running: stops between its stages', 'ImageTask'), '409': ok('Already finished', 'Error'), '404': errors['404'] },
      },
    },
    [`${base}/{id}/events`]: {
      get: {
        summary: `${what} live (Server-Sent Events)`,
        description: '`queued` {position}, `running`, `progress` {step, total}, then `succeeded`, `failed` or `canceled` with the task.',
        parameters: [idParam],
        responses: { '200': stream('Event stream'), '404': { description: 'No such task for this tenant' } },
      },
    },
  };
}

/** OpenAPI schemas and paths of the image tasks, from the zod schemas that validate them. */
export function imageTasksOpenApi(): { schemas: JsonObject; paths: JsonObject } {
  return {
    schemas: {
      PreprocessRequest: z.toJSONSchema(preprocessRequestSchema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as JsonObject,
      ImageTask: {
        type: 'object',
        description:
          'id (tsk_…), object "image_task", kind (preprocess), status (queued, running, succeeded, failed, canceled), progress {step, total}, outputs [{index, kind ("control"), url (signed), width, height, content_type}], metadata, error {code, message}, timings, attempts, parameters, timestamps',
      },
    },
    paths: {
      '/v1/preprocess': {
        post: {
          summary: 'Run a ControlNet preprocessor on an image (canny, depth, softedge, scribble, openpose)',
          description: 'Webhook events: preprocess.started, preprocess.succeeded, preprocess.failed, preprocess.canceled. Idempotency-Key supported.',
          requestBody: { required: true, ...json('PreprocessRequest') },
          responses: { '202': ok('Queued; Location header points at the task', 'ImageTask'), ...errors },
        },
      },
      ...taskRoutes('/v1/preprocess', 'Preprocess task'),
      ...taskRoutes('/v1/tasks', 'Image task (any kind)'),
    },
  };
}
