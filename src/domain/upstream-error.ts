import { ProviderError } from '../providers/types.js';
import { GatewayError } from './errors.js';

/** A provider's error code or param is passed on only when it is a plain token, never free text. */
const token = (v: string | null | undefined) => (v && /^[A-Za-z0-9_.-]{1,64}$/.test(v) ? v : null);

/**
 * What a provider's failure means to our caller, in our own words. The provider's own text never reaches the
 * caller: it can name internals (a deployment, a provider URL, its parser's wording such as "Malformed part
 * header") and it differs per provider. It stays on the error as `cause`, which the transports log (the
 * provider clients have already scrubbed secrets from it). Auth failures upstream are the operator's problem,
 * never the caller's 401.
 */
export function fromProviderError(err: unknown, what: string): GatewayError {
  if (err instanceof GatewayError) return err;
  return Object.assign(mapped(err, what), { cause: err });
}

function mapped(err: unknown, what: string): GatewayError {
  if (!(err instanceof ProviderError))
    return new GatewayError('upstream', `${what} failed: the provider could not be used`, null, 'upstream_error');
  const s = err.status;
  const code = token(err.providerCode);
  const param = token(err.providerParam);
  if (s === 400 || s === 409 || s === 422) {
    return new GatewayError(
      'invalid_request',
      `${what} failed: the provider rejected the request (HTTP ${s})`,
      param,
      code ?? 'upstream_rejected',
    );
  }
  if (s === 404) return new GatewayError('not_found', `${what} failed: the provider does not know this object`, param, 'not_found');
  if (s === 413)
    return new GatewayError(
      'payload_too_large',
      `${what} failed: the provider refused it as too large`,
      'file',
      code ?? 'payload_too_large',
    );
  if (s === 429)
    return new GatewayError(
      'rate_limited',
      `${what} failed: the provider is rate limiting`,
      null,
      code ?? 'rate_limit_exceeded',
      err.retryAfter,
    );
  if (s === 0) return new GatewayError('unavailable', `${what} failed: the provider could not be reached`, null, 'upstream_unreachable');
  return new GatewayError('upstream', `${what} failed: the provider answered HTTP ${s}`, null, 'upstream_error');
}

/**
 * The provider's own words behind a mapped error, for the log only (already scrubbed of secrets). An internal
 * error's cause is no provider's: the transports log those as failures of their own.
 */
export function upstreamDetail(err: unknown): string | undefined {
  const cause = err instanceof GatewayError && err.kind !== 'internal' ? err.cause : undefined;
  if (cause instanceof ProviderError) return `HTTP ${cause.status}: ${cause.message}`;
  if (cause instanceof Error) return cause.message;
  return undefined;
}

/** Failures worth trying on another deployment (and worth a health cool-down). */
export function isTransient(err: unknown): boolean {
  return (
    err instanceof ProviderError &&
    (err.status === 0 || err.status === 429 || err.status >= 500 || err.status === 401 || err.status === 403)
  );
}
