/** How the API answers the errors Express's body parsers raise, keyed by their `type` field. */
const BODY_PARSER_ERRORS: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  'entity.parse.failed': { status: 400, code: 'invalid_json', message: 'request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'body_too_large', message: 'request body exceeds the size limit' },
  'entity.verify.failed': { status: 400, code: 'invalid_body', message: 'request body was refused' },
  'request.size.invalid': { status: 400, code: 'invalid_body', message: 'request body length does not match Content-Length' },
  'request.aborted': { status: 400, code: 'request_aborted', message: 'the client aborted the request body' },
  'encoding.unsupported': { status: 415, code: 'unsupported_content_encoding', message: 'unsupported Content-Encoding (identity, gzip, deflate and br are accepted)' },
  'charset.unsupported': { status: 415, code: 'unsupported_charset', message: 'unsupported charset in Content-Type (use utf-8)' },
  'parameters.too.many': { status: 413, code: 'too_many_parameters', message: 'too many parameters in the request body' },
};

export interface ClientBodyError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** The 4xx a body-parser error stands for, or undefined when `exception` is not one of them. */
export function bodyParserError(exception: unknown): ClientBodyError | undefined {
  const type = (exception as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(BODY_PARSER_ERRORS, type)) return undefined;
  const known = BODY_PARSER_ERRORS[type];
  const detail = type === 'entity.parse.failed' && exception instanceof Error ? `: ${exception.message}` : '';
  return { ...known, message: `${known.message}${detail}` };
}
