import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { MASTER, type Principal } from './principal.js';
import { resolveVirtualKey } from './virtual-keys.js';

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

const unauthenticated = (message: string) => new GatewayError('authentication', message, null, 'invalid_api_key');

/** Turns the bearer token of a call into a Principal, or a 401. Looked up on every call: no cache to go stale. */
export async function authenticate(gw: Gateway, token: string | undefined): Promise<Principal> {
  if (!token) throw unauthenticated('Missing API key: send "Authorization: Bearer <key>"');
  const master = gw.config.masterKey;
  if (master && safeEqual(token, master)) return MASTER;
  const principal = await resolveVirtualKey(gw, hashSecret(token));
  if (!principal) throw unauthenticated('Invalid, expired or deleted API key');
  return principal;
}

function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
