import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ERROR_KINDS } from '../../domain/errors.js';
import { toOpenAIError } from '../rest/errors.js';

/** tRPC's code for an HTTP status: the error table's rows, plus the two statuses only the wire raises. */
const CODE_OF_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  ...Object.fromEntries(Object.values(ERROR_KINDS).map((row) => [row.http, row.trpc])),
  405: 'METHOD_NOT_SUPPORTED',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * An error raised under /trpc before tRPC itself runs (Fastify's: a content type it cannot read, a JSON body
 * over the limit or that stalls, no route), in the shape tRPC's own errors have (api/trpc.ts's errorFormatter),
 * so that a tRPC client reads `data.code`, `data.httpStatus` and `data.openai` from it as from any other. Status,
 * message and OpenAI fields come from the one HTTP mapping (rest/errors.ts).
 */
export function trpcWireError(err: unknown, path: string | undefined) {
  const { status, headers, body } = toOpenAIError(err);
  const code = CODE_OF_STATUS[status] ?? (status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR');
  const { message, type, param, code: openaiCode } = body.error;
  return {
    status,
    headers,
    body: {
      error: {
        message,
        code: TRPC_ERROR_CODES_BY_KEY[code],
        data: { code, httpStatus: status, path, openai: { type, param, code: openaiCode } },
      },
    },
  };
}

/** Whether a raw request URL is under /trpc, where errors take tRPC's shape (also those raised before routing). */
export const isTrpcUrl = (url: string | undefined) => !!url && /^\/trpc(\/|\?|$)/.test(url);
