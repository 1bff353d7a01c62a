import { echo } from '../../domain/echo.js';
import { ERROR_KINDS, GatewayError } from '../../domain/errors.js';

export interface OpenAIErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: { message: string; type: string; param: string | null; code: string | null } };
}

/** Fastify's and Node's own error codes for what the client got wrong, in our words and with their 4xx. */
const FRAMEWORK: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'The request body is larger than the limit of 1 MiB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Unsupported Content-Type: send application/json (or multipart/form-data for uploads)',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_content_length',
    message: 'The body does not match its Content-Length',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'unsupported_media_type', message: 'The Content-Type header is not valid' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_url', message: 'The URL is not valid (bad percent-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 404, code: 'not_found', message: 'No such object: the ID in the path is longer than any ID' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', message: 'The request was not received in time' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', message: 'The request headers are larger than the limit' },
};

/**
 * Fastify's own errors (bad JSON, body too large, wrong content type…) are the client's mistakes: OpenAI's
 * envelope with their 4xx, never a 500 and never Fastify's own shape. Their messages can quote the request
 * (a content type, a URL): known ones get our wording, others are bounded.
 */
function fromFrameworkError(err: { statusCode?: number; code?: string; message: string }): OpenAIErrorResponse | null {
  const known = err.code ? FRAMEWORK[err.code] : undefined;
  const status = known?.status ?? err.statusCode;
  if (!status || status < 400 || status >= 500) return null;
  const type = status === 401 ? 'authentication_error' : 'invalid_request_error';
  return {
    status,
    headers: {},
    body: {
      error: { message: known?.message ?? echo(err.message), type, param: null, code: known?.code ?? (err.code ? echo(err.code) : null) },
    },
  };
}

/** The one mapping from any error to OpenAI's envelope and HTTP status. Unknown errors never show internals. */
export function toOpenAIError(err: unknown): OpenAIErrorResponse {
  const g = GatewayError.from(err);
  // Only an error the gateway could not place (internal) may be Fastify's or Node's own.
  if (g.kind === 'internal' && err && typeof err === 'object' && ('statusCode' in err || 'code' in err)) {
    const framework = fromFrameworkError(err as { statusCode?: number; message: string });
    if (framework) return framework;
  }
  const headers: Record<string, string> = {};
  if (g.retryAfter !== undefined) headers['retry-after'] = String(Math.ceil(g.retryAfter));
  return {
    status: ERROR_KINDS[g.kind].http,
    headers,
    body: { error: { message: g.message, type: ERROR_KINDS[g.kind].openaiType, param: g.param, code: g.code } },
  };
}

/** The raw HTTP/1.1 answer for an error Node's parser raised before any route ran (clientError). */
export function rawErrorResponse(err: unknown): string {
  let { status, body } = toOpenAIError(err);
  if (status >= 500) {
    // Any other parser error (HPE_*): the bytes were not HTTP, which is the client's doing.
    status = 400;
    body = { error: { message: 'The request is not valid HTTP/1.1', type: 'invalid_request_error', param: null, code: 'invalid_http' } };
  }
  const text = JSON.stringify(body);
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`;
}
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};

export function isInternal(err: unknown): boolean {
  return toOpenAIError(err).status === 500;
}
