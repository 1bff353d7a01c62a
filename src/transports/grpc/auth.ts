import type { CallContext } from 'nice-grpc';
import { createCaller } from '../../api/router.js';
import { createContext } from '../../api/trpc.js';
import type { Gateway } from '../../domain/gateway.js';

/** `authorization: Bearer <key>` metadata (or `api-key: <key>`, as REST accepts). */
export function bearerTokenFrom(context: CallContext): string | undefined {
  const auth = context.metadata.get('authorization');
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return m ? m[1].trim() : undefined;
  }
  const apiKey = context.metadata.get('api-key') ?? context.metadata.get('x-api-key');
  return apiKey ? apiKey.trim() : undefined;
}

/** The router, called in-process for this call; the call's signal fires on cancellation or deadline. */
export function callerFor(gw: Gateway, context: CallContext) {
  return createCaller(createContext(gw, bearerTokenFrom(context), context.signal));
}
