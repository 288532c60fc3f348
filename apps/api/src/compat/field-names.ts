import { ApiError } from '../common/api-error.js';
import { problemOf } from './problem.js';

/** Native field → the name the compatibility API's caller sent. */
export type FieldNames = Readonly<Record<string, string>>;

/**
 * Requests are validated by the native schema and resolver after translation; their errors must
 * still name the field the caller sent (`size`, not `img_width`), or they would be unactionable.
 */
export function renameFields(error: unknown, names: FieldNames): unknown {
  if (!(error instanceof ApiError)) return error;
  const problem = problemOf(error);
  if (problem.code !== 'validation_failed' || problem.details.length === 0) return error;
  const renamed = problem.details.map((detail) => {
    const [head, ...rest] = detail.field.split('.');
    const mapped = names[detail.field] ?? (names[head] !== undefined ? [names[head], ...rest].join('.') : detail.field);
    return { ...detail, field: mapped };
  });
  return ApiError.validation(renamed);
}
