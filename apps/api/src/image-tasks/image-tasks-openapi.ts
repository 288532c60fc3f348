import { z } from 'zod';
import { faceRestoreRequestSchema, preprocessRequestSchema, segmentRequestSchema, upscaleRequestSchema } from '@atelier/contracts';

type JsonObject = Record<string, unknown>;

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^tsk_[0-9a-f]{32}$' } };
const json = (ref: string): JsonObject => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const ok = (description: string, ref?: string): JsonObject => ({ description, ...(ref ? json(ref) : {}) });
const stream = (description: string): JsonObject => ({ description, content: { 'text/event-stream': { schema: { type: 'string' } } } });
const errors = { '400': ok('Invalid request: the field and the reason', 'Error'), '404': ok('No such task for this tenant', 'Error') };

const jsonSchema = (schema: z.ZodType): JsonObject => z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as JsonObject;

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
      PreprocessRequest: jsonSchema(preprocessRequestSchema),
      UpscaleRequest: jsonSchema(upscaleRequestSchema),
      FaceRestorationRequest: jsonSchema(faceRestoreRequestSchema),
      SegmentationRequest: jsonSchema(segmentRequestSchema),
      ImageTask: {
        type: 'object',
        description:
          'id (tsk_…), object "image_task", kind (preprocess, upscale, face_restore, segment), status (queued, running, succeeded, failed, canceled), progress {step, total}, outputs [{index, kind ("control", "image", "source", "mask"), url (signed), width, height, content_type}], metadata, error {code, message}, timings, attempts, parameters, timestamps',
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
      '/v1/upscales': {
        post: {
          summary: 'Upscale an image (or one of your generation outputs) with a registry upscaler, tiled, optionally restoring faces after',
          description: 'Webhook events: upscale.started, upscale.succeeded, upscale.failed, upscale.canceled. Outputs: the result (kind "image") and the source (kind "source"). The result counts against MAX_UPSCALE_PIXELS. Idempotency-Key supported.',
          requestBody: { required: true, ...json('UpscaleRequest') },
          responses: { '202': ok('Queued; Location header points at the task', 'ImageTask'), ...errors },
        },
      },
      ...taskRoutes('/v1/upscales', 'Upscale task'),
      '/v1/face-restorations': {
        post: {
          summary: 'Restore faces (face detector + CodeFormer/GFPGAN registry models) in an image or one of your generation outputs',
          description: 'Webhook events: face_restore.started, face_restore.succeeded, face_restore.failed, face_restore.canceled. Outputs: the result (kind "image") and the source (kind "source"). Idempotency-Key supported.',
          requestBody: { required: true, ...json('FaceRestorationRequest') },
          responses: { '202': ok('Queued; Location header points at the task', 'ImageTask'), ...errors },
        },
      },
      ...taskRoutes('/v1/face-restorations', 'Face restoration task'),
      '/v1/segmentations': {
        post: {
          summary: 'Segment Anything: mask PNGs (white = selected) from clicks and a box',
          description: 'Webhook events: segment.started, segment.succeeded, segment.failed, segment.canceled. Outputs: masks (kind "mask"); metadata.scores, metadata.embeddings_cached. Idempotency-Key supported.',
          requestBody: { required: true, ...json('SegmentationRequest') },
          responses: { '202': ok('Queued; Location header points at the task', 'ImageTask'), ...errors },
        },
      },
      ...taskRoutes('/v1/segmentations', 'Segmentation task'),
      ...taskRoutes('/v1/tasks', 'Image task (any kind)'),
    },
  };
}
