import { z } from 'zod';
import { rotateSecretSchema } from './webhook-secret.views.js';

type JsonObject = Record<string, unknown>;

const errorRef = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

/** The per-tenant signing secret and its rotation, documented from the schema that validates the body. */
export function webhookSecretOpenApi(): JsonObject {
  return {
    '/v1/webhooks/secret': {
      get: {
        summary: "The caller's tenant's webhook signing secret (Standard Webhooks), created on first use",
        responses: { '200': { description: 'Secret, and when a rotation overlap ends (previous_secret_expires_at)' }, '403': { description: 'Auth disabled or key lacks the scope', ...errorRef } },
      },
    },
    '/v1/webhooks/secret/rotate': {
      post: {
        summary: 'New signing secret; the previous one keeps signing beside it (two v1 signatures) for overlap_seconds (default WEBHOOK_SECRET_ROTATION_OVERLAP_SECONDS; 0 revokes it at once)',
        requestBody: { required: false, content: { 'application/json': { schema: z.toJSONSchema(rotateSecretSchema, { target: 'openapi-3.0', io: 'input' }) } } },
        responses: {
          '200': { description: 'The new secret, overlap_seconds and previous_secret_expires_at (null when revoked at once)' },
          '400': { description: 'Invalid request: the field and the reason', ...errorRef },
          '403': { description: 'Auth disabled or key lacks the scope', ...errorRef },
        },
      },
    },
  };
}
