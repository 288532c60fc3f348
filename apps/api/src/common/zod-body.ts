import type { z } from 'zod';
import { ApiError, FieldProblemCode, type FieldProblem } from './api-error.js';

/** Validates a request body against its one schema; problems name the field and the reason. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const details: FieldProblem[] = result.error.issues.flatMap((issue): FieldProblem[] => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: base ? `${base}.${key}` : key,
        message: 'is not a supported field',
        code: FieldProblemCode.UnknownField,
      }));
    }
    return [{ field: base || '(body)', message: issue.message }];
  });
  throw ApiError.validation(details);
}
