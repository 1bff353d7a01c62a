import { gatewayErrorOf } from '../../api/gateway-error-of.js';
import { GatewayError, type ErrorKind } from '../../domain/errors.js';

const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  upstream: 502,
  unavailable: 503,
  internal: 500,
};

const OPENAI_TYPE: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'invalid_request_error',
  conflict: 'invalid_request_error',
  payload_too_large: 'invalid_request_error',
  rate_limited: 'rate_limit_error',
  upstream: 'server_error',
  unavailable: 'server_error',
  internal: 'server_error',
};

export interface OpenAIErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: { message: string; type: string; param: string | null; code: string | null } };
}

/** Fastify's own errors (bad JSON, body too large…) are the client's mistakes: say so, never a 500. */
function fromFrameworkError(err: { statusCode?: number; code?: string; message: string }): GatewayError | null {
  const status = err.statusCode;
  if (!status || status >= 500) return null;
  if (status === 413) return new GatewayError('payload_too_large', err.message, null, 'payload_too_large');
  if (status === 415) return new GatewayError('invalid_request', err.message, null, 'unsupported_media_type');
  if (status === 404) return new GatewayError('not_found', err.message, null, 'not_found');
  return new GatewayError('invalid_request', err.message, null, err.code ?? null);
}

/** The one mapping from any error to OpenAI's envelope and HTTP status. Unknown errors never show internals. */
export function toOpenAIError(err: unknown): OpenAIErrorResponse {
  let g = gatewayErrorOf(err);
  if (!g && err && typeof err === 'object' && 'statusCode' in err) g = fromFrameworkError(err as { statusCode?: number; message: string });
  if (!g) g = new GatewayError('internal', 'The gateway hit an internal error', null, 'internal_error');
  const headers: Record<string, string> = {};
  if (g.retryAfter !== undefined) headers['retry-after'] = String(Math.ceil(g.retryAfter));
  return {
    status: HTTP_STATUS[g.kind],
    headers,
    body: { error: { message: g.message, type: OPENAI_TYPE[g.kind], param: g.param, code: g.code } },
  };
}

export function isInternal(err: unknown): boolean {
  return toOpenAIError(err).status === 500;
}
