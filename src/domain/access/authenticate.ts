import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { MASTER, type Principal } from './principal.js';
import { resolveVirtualKey } from './virtual-keys.js';

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

const unauthenticated = (message: string) => new GatewayError('authentication', message, null, 'invalid_api_key');

/**
 * Turns the bearer token of a call into a Principal, or a 401 (virtual keys: see resolveVirtualKey's cache).
 * Under `--no-auth` (gw.noAuth) a valid virtual key still acts as itself, so isolation can be tried locally;
 * every other call, with no key or an unknown one, acts as the admin.
 */
export async function authenticate(gw: Gateway, token: string | undefined): Promise<Principal> {
  if (!token) {
    if (gw.noAuth) return MASTER;
    throw unauthenticated('Missing API key: send "Authorization: Bearer <key>"');
  }
  const tokenHash = hashSecret(token);
  if (gw.config.masterKey && safeEqual(tokenHash, masterHash(gw.config.masterKey))) return MASTER;
  const principal = await resolveVirtualKey(gw, tokenHash);
  if (principal) return principal;
  if (gw.noAuth) return MASTER;
  throw unauthenticated('Invalid, expired or deleted API key');
}

// One hash per call: the token's, compared in constant time with the master key's, computed once.
let masterHashes: { key: string; hash: string } | undefined;
function masterHash(masterKey: string): string {
  if (masterHashes?.key !== masterKey) masterHashes = { key: masterKey, hash: hashSecret(masterKey) };
  return masterHashes.hash;
}

function safeEqual(aHex: string, bHex: string): boolean {
  return timingSafeEqual(Buffer.from(aHex, 'hex'), Buffer.from(bHex, 'hex'));
}
