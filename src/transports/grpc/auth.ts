import type { CallContext } from 'nice-grpc';
import { bearerToken } from '../bearer-token.js';
import { createCaller } from '../../api/router.js';
import { createContext } from '../../api/trpc.js';
import type { Gateway } from '../../domain/gateway.js';

/** The key from the call's metadata, read as REST reads headers (transports/bearer-token.ts). */
export const bearerTokenFrom = (context: CallContext): string | undefined =>
  bearerToken((name) => {
    const value = context.metadata.get(name);
    return typeof value === 'string' ? value : undefined;
  });

/** The router, called in-process for this call; the call's signal fires on cancellation or deadline. */
export function callerFor(gw: Gateway, context: CallContext) {
  return createCaller(createContext(gw, bearerTokenFrom(context), context.signal));
}
