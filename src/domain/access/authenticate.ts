import { hash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { MASTER, type Principal } from './principal.js';
import { resolveVirtualKey } from './virtual-keys.js';

export const hashSecret = (secret: string) => hash('sha256', secret, 'hex');

const unauthenticated = (message: string) => new GatewayError('authentication', message, null, 'invalid_api_key');

/**
 * Turns the bearer token of a call into a Principal, or a 401 (virtual keys: see resolveVirtualKey's cache).
 * Under `--no-auth` (gw.noAuth) a valid virtual key still acts as itself, so isolation can be tried locally;
 * every other call, with no key or an unknown one, acts as the admin.
 *
 * Answers at once, without a promise, when no query is needed (the master key, or a key this replica looked
 * up within the cache's TTL): the usual case on a polling hot path, where each promise and its turn of the
 * microtask queue shows. Failures are always rejections. Callers await the result either way.
 */
export function authenticate(gw: Gateway, token: string | undefined): Principal | Promise<Principal> {
  if (!token) {
    if (gw.noAuth) return MASTER;
    return Promise.reject(unauthenticated('Missing API key: send "Authorization: Bearer <key>"'));
  }
  const digest = tokenDigest(token);
  if (gw.config.masterKey && timingSafeEqual(digest.bytes, masterDigest(gw.config.masterKey))) return MASTER;
  return gw.principals.get(digest.hex) || virtualKeyPrincipal(gw, digest.hex); // null (a known bad key): the slow way
}

async function virtualKeyPrincipal(gw: Gateway, tokenHash: string): Promise<Principal> {
  const principal = await resolveVirtualKey(gw, tokenHash);
  if (principal) return principal;
  if (gw.noAuth) return MASTER;
  throw unauthenticated('Invalid, expired or deleted API key');
}

/**
 * The token's SHA-256, remembered for the tokens seen last: hashing was 3 % of a batch retrieve's CPU (11 µs a
 * call on a slow day), for the same few keys polling again and again. A digest never changes, so this decides
 * nothing about access (the principal cache and its TTL do). Bounded: a flood of made-up tokens empties it
 * rather than growing it. It holds the raw tokens of recent calls in memory, as the requests themselves did;
 * nothing of it is written anywhere.
 */
const digests = new Map<string, { bytes: Buffer; hex: string }>();
const MAX_DIGESTS = 10_000;
function tokenDigest(token: string): { bytes: Buffer; hex: string } {
  let digest = digests.get(token);
  if (digest === undefined) {
    const bytes = hash('sha256', token, 'buffer'); // one-shot: a Hash object per call cost ~2 % of a retrieve
    digest = { bytes, hex: bytes.toString('hex') };
    if (digests.size >= MAX_DIGESTS) digests.clear();
    digests.set(token, digest);
  }
  return digest;
}

// One hash per call: the token's, compared in constant time with the master key's, computed once.
let master: { key: string; digest: Buffer } | undefined;
function masterDigest(masterKey: string): Buffer {
  if (master?.key !== masterKey) master = { key: masterKey, digest: hash('sha256', masterKey, 'buffer') };
  return master.digest;
}
