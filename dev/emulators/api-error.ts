/**
 * HTTP errors in OpenAI's envelope: `{"error":{"message","type","param","code"}}`
 * (all four keys present; param/code may be null). Route handlers throw
 * ApiError and the server turns it into the response.
 */

export interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type: string = typeForStatus(status),
  ) {
    super(message);
  }

  envelope(): { error: ErrorBody } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** The `type` values OpenAI uses for each status family. */
export function typeForStatus(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function badRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, param, code);
}

export function notFound(message: string, param: string | null = null): ApiError {
  return new ApiError(404, message, param);
}
