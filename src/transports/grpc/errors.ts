import { ServerError, Status, type CallContext, type ServerMiddleware } from 'nice-grpc';
import { wellFormed } from '../../domain/echo.js';
import { ERROR_KINDS, GatewayError } from '../../domain/errors.js';
import type { Logger } from '../../domain/gateway.js';
import { upstreamDetail } from '../../domain/upstream-error.js';

/**
 * A trailer value as gRPC allows it (printable ASCII): anything else, e.g. a caller's non-ASCII metadata key in
 * `param`, is percent-encoded. grpc-js throws on an illegal value, which turned an INVALID_ARGUMENT into UNKNOWN.
 */
const trailerValue = (v: string) => (/^[\x20-\x7e]*$/.test(v) ? v : encodeURIComponent(wellFormed(v)));

/**
 * The one mapping from any error to a gRPC status. The OpenAI error's type, param and code travel as trailers
 * (`sluice-error-type`, `sluice-error-param`, `sluice-error-code`; `retry-after` for 429/503). Unknown errors
 * never show internals.
 */
export function toServerError(err: unknown, trailer?: CallContext['trailer']): ServerError {
  if (err instanceof ServerError) return err;
  const g = GatewayError.from(err);
  trailer?.set('sluice-error-type', ERROR_KINDS[g.kind].openaiType);
  if (g.param) trailer?.set('sluice-error-param', trailerValue(g.param));
  if (g.code) trailer?.set('sluice-error-code', trailerValue(g.code));
  if (g.retryAfter !== undefined) trailer?.set('retry-after', String(Math.ceil(g.retryAfter)));
  return new ServerError(ERROR_KINDS[g.kind].grpc as Status, g.message);
}

const isAbort = (err: unknown) => err instanceof Error && err.name === 'AbortError';

/** Server middleware: every method's errors go through toServerError; internal ones are logged. */
export function mapErrors(log: Logger): ServerMiddleware {
  return async function* (call, context) {
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      // The client is gone: nobody to tell. Rethrown as an AbortError, which nice-grpc drops silently (anything
      // else it reports as an uncaught error of the method).
      if (isAbort(err)) throw err;
      if (context.signal.aborted) throw Object.assign(new Error('The client cancelled the call'), { name: 'AbortError' });
      const mapped = toServerError(err, context.trailer);
      const detail = upstreamDetail(GatewayError.from(err));
      if (detail) log.warn({ event: 'upstream_error', method: call.method.path, detail }, 'a provider call failed');
      if (mapped.code === Status.INTERNAL) {
        log.error(
          { event: 'grpc_call_failed', method: call.method.path, error: (err as Error)?.message, stack: (err as Error)?.stack },
          'gRPC call failed',
        );
      }
      throw mapped;
    }
  };
}
