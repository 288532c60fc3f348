import { z } from 'zod';
import { DEFAULT_LIMITS, batchRequestSchema, generationRequestSchema, type RequestLimits } from '@atelier/contracts';
import { compatOpenApi } from '../compat/compat-openapi.js';
import { consoleOpenApi } from '../console/console-openapi.js';
import { eventsOpenApi } from '../events/events-openapi.js';
import { imageTasksOpenApi } from '../image-tasks/image-tasks-openapi.js';
import { webhookSecretOpenApi } from '../webhooks/webhook-secret-openapi.js';

type JsonObject = Record<string, unknown>;

const toSchema = (schema: z.ZodType): JsonObject => z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as JsonObject;

const errorSchema: JsonObject = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
      },
      required: ['code', 'message'],
    },
  },
};

const json = (ref: string): JsonObject => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const ok = (description: string, ref?: string): JsonObject => ({ description, ...(ref ? json(ref) : {}) });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const errors = { '400': ok('Invalid request: the field and the reason', 'Error'), '404': ok('Not found', 'Error') };

/**
 * The OpenAPI document is generated from the same zod schemas that validate requests, so the
 * documentation cannot drift from what the API accepts.
 */
export function buildOpenApiDocument(version: string, maxBatchSize: number, limits: RequestLimits = DEFAULT_LIMITS): JsonObject {
  const compat = compatOpenApi(limits);
  const imageTasks = imageTasksOpenApi();
  return {
    openapi: '3.0.3',
    info: { title: 'Atelier API', version, description: 'Distributed render farm for diffusion models.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, ...compat.securitySchemes },
      schemas: {
        GenerationRequest: toSchema(generationRequestSchema(limits)),
        BatchRequest: toSchema(batchRequestSchema(maxBatchSize, limits)),
        Error: errorSchema,
        Generation: {
          type: 'object',
          description:
            'id, status, progress, outputs, error, timings, parameters, timestamps. Each output has `kind`: `image` (a generated picture; the base image when steps are chained), `restored` / `upscaled` (that image after `face_restore` / `upscale`, with `source_index` naming the base image), `mask` (the inpainting mask made from `mask_prompt`) or `control` (the map a ControlNet was given after preprocessing, with `controlnet: {index, model, preprocessor}`); in that order: images, processed images, mask, control maps.',
        },
        Batch: { type: 'object', description: 'id, status, counts per state, paged generation ids' },
        List: { type: 'object', properties: { object: { type: 'string' }, data: { type: 'array', items: { type: 'object' } } } },
        ...imageTasks.schemas,
        ...Object.fromEntries(Object.entries(compat.schemas).map(([name, schema]) => [name, toSchema(schema)])),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/generations': {
        post: {
          summary: 'Submit a generation',
          requestBody: { required: true, ...json('GenerationRequest') },
          responses: { '202': ok('Queued; Location header points at the generation', 'Generation'), ...errors },
        },
      },
      '/v1/generations/{id}': { get: { summary: 'Generation status and outputs', parameters: [idParam], responses: { '200': ok('The generation', 'Generation'), ...errors } } },
      '/v1/generations/{id}/cancel': {
        post: {
          summary: 'Cancel a queued or running generation',
          parameters: [idParam],
          responses: { '200': ok('Canceled', 'Generation'), '202': ok('Running: stops at the next step', 'Generation'), '409': ok('Already finished', 'Error') },
        },
      },
      '/v1/batches': {
        post: { summary: 'Submit up to ' + maxBatchSize + ' generations', requestBody: { required: true, ...json('BatchRequest') }, responses: { '202': ok('Queued', 'Batch'), ...errors } },
      },
      '/v1/batches/{id}': {
        get: {
          summary: 'Batch counts and a page of generation ids',
          parameters: [idParam, { name: 'offset', in: 'query', schema: { type: 'integer' } }, { name: 'limit', in: 'query', schema: { type: 'integer' } }],
          responses: { '200': ok('The batch', 'Batch'), ...errors },
        },
      },
      '/v1/models': { get: { summary: 'Models served by live workers', responses: { '200': ok('Models', 'List') } } },
      '/v1/schedulers': { get: { summary: 'Samplers and the names they accept', responses: { '200': ok('Schedulers', 'List') } } },
      '/v1/styles': { get: { summary: 'Style presets', responses: { '200': ok('Styles', 'List') } } },
      ...webhookSecretOpenApi(),
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': ok('Alive') } } },
      '/readyz': { get: { summary: 'Readiness: Redis and storage reachable', security: [], responses: { '200': ok('Ready'), '503': ok('Not ready') } } },
      '/metrics': { get: { summary: 'Prometheus metrics: Bearer METRICS_TOKEN or an admin key', security: [{ bearer: [] }], responses: { '200': ok('Text exposition format') } } },
      ...eventsOpenApi(),
      ...imageTasks.paths,
      ...compat.paths,
      ...consoleOpenApi(),
    },
  };
}
