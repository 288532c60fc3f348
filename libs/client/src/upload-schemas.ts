import { z } from 'zod';

/** POST /v1/uploads body (planned): describes the bytes about to be sent. */
export interface UploadRequestInput {
  readonly filename?: string;
  readonly content_type?: string;
  readonly size?: number;
}

/** POST /v1/uploads answer (planned): where to send the bytes, and the id that names them afterwards. */
export const uploadTicketSchema = z.looseObject({
  id: z.string(),
  upload_url: z.url(),
  method: z.enum(['PUT', 'POST']).default('PUT'),
  headers: z.record(z.string(), z.string()).default({}),
  expires_at: z.string().optional(),
});
export type UploadTicket = z.infer<typeof uploadTicketSchema>;
