import { LRUCache } from 'lru-cache';
import type { Principal } from './principal.js';

/**
 * How long a replica acts on a key it has looked up without looking again. A key deleted, expired or re-scoped
 * (its own models or its team's) on another replica stops working here within this time plus one lookup; the
 * contract is 1 s, so half of it leaves a margin. The replica that made the change forgets at once (`clear`).
 */
export const PRINCIPAL_TTL_MS = 500;

interface Entry {
  /** null: no live key has this hash. Cached too, so a flood of bad keys does not become a flood of queries. */
  principal: Principal | null;
  /** The key's own expiry (unix seconds): checked on every use, so a cached key never outlives it. */
  expiresAt: number | null;
}

/**
 * Virtual-key hash → principal, for the hot path: without it every call costs one or two queries (key, team)
 * before any work. Bounded (an LRU of 10,000 keys) so that random keys cannot grow it.
 */
export class PrincipalCache {
  private readonly entries = new LRUCache<string, Entry>({ max: 10_000, ttl: PRINCIPAL_TTL_MS, ttlAutopurge: false });

  get(tokenHash: string): Principal | null | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= Math.floor(Date.now() / 1000)) return null;
    return entry.principal;
  }

  set(tokenHash: string, principal: Principal | null, expiresAt: number | null): void {
    this.entries.set(tokenHash, { principal, expiresAt });
  }

  /** After a key or team changes here: this replica must not wait for the TTL. */
  clear(): void {
    this.entries.clear();
  }
}
