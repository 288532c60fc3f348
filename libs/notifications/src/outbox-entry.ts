import { z } from 'zod';
import { webhookEventSchema } from '@atelier/contracts';

const snapshotSchema = z.record(z.string(), z.string());

/** One outbox stream entry, as the transition scripts write it (see libs/records/src/outbox.lua.ts). */
export const outboxEntrySchema = z.object({
  id: z.string().min(1),
  event: webhookEventSchema,
  kind: z.enum(['generation', 'batch', 'training', 'image_task']),
  subject: z.string().min(1),
  at: z.string().min(1),
  snapshot: z.string().transform((text, context) => {
    try {
      return snapshotSchema.parse(JSON.parse(text));
    } catch {
      context.addIssue({ code: 'custom', message: 'snapshot is not a JSON object of strings' });
      return z.NEVER;
    }
  }),
});
export type OutboxEntry = z.infer<typeof outboxEntrySchema>;

/** A stream entry's flat [field, value, …] list as an entry, or undefined when malformed. */
export function parseOutboxEntry(flat: readonly string[]): OutboxEntry | undefined {
  const fields: Record<string, string> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) fields[flat[index]] = flat[index + 1];
  const parsed = outboxEntrySchema.safeParse(fields);
  return parsed.success ? parsed.data : undefined;
}
