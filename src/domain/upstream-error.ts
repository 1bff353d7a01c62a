import { ProviderError } from '../providers/types.js';
import { GatewayError } from './errors.js';

/**
 * What a provider's failure means to our caller. A provider's 400 is about the request, so the caller sees the
 * provider's (scrubbed) message; auth failures upstream are the operator's problem, never the caller's 401.
 */
export function fromProviderError(err: unknown, what: string): GatewayError {
  if (err instanceof GatewayError) return err;
  if (!(err instanceof ProviderError)) {
    return new GatewayError('upstream', `${what} failed: ${(err as Error)?.message ?? String(err)}`, null, 'upstream_error');
  }
  const s = err.status;
  if (s === 400 || s === 409 || s === 422) {
    return new GatewayError('invalid_request', err.message, err.providerParam, err.providerCode ?? 'upstream_rejected');
  }
  if (s === 404) return new GatewayError('not_found', err.message, err.providerParam, 'not_found');
  if (s === 413) return new GatewayError('payload_too_large', err.message, 'file', err.providerCode);
  if (s === 429) {
    return new GatewayError('rate_limited', `${what}: the provider is rate limiting (${err.message})`, null, err.providerCode ?? 'rate_limit_exceeded', err.retryAfter);
  }
  if (s === 0) return new GatewayError('unavailable', `${what}: ${err.message}`, null, 'upstream_unreachable');
  return new GatewayError('upstream', `${what}: the provider failed (HTTP ${s}: ${err.message})`, null, 'upstream_error');
}

/** Failures worth trying on another deployment (and worth a health cool-down). */
export function isTransient(err: unknown): boolean {
  return err instanceof ProviderError && (err.status === 0 || err.status === 429 || err.status >= 500 || err.status === 401 || err.status === 403);
}
