import type { EntityManager } from '@mikro-orm/sql';
import { ManagedBatch } from '../db/entities/index.js';
import type { Dialect } from '../db/orm.js';

/**
 * The batches a claim takes, due at `?` (now, twice) and at most `?` of them: the claim's subquery, exported so that
 * a test can ask each database for its plan (test/db/claim-index.test.ts).
 */
export const DUE_BATCHES = `select id from managed_batch
         where (terminal = false or cost_recorded = false)
           and (next_poll_at is null or next_poll_at <= ?)
           and (lease_until is null or lease_until < ?)
         order by next_poll_at
         limit ?`;

/**
 * Batch leases, kept in managed_batch itself (lease_owner, lease_until, next_poll_at), so any number of gateway
 * replicas share the tracking and each batch is polled by one of them at a time. A lease is claimed with ONE
 * conditional UPDATE: on PostgreSQL its row picks are `FOR UPDATE SKIP LOCKED`, so two replicas claiming at the
 * same instant take disjoint sets without waiting; on SQLite the statement runs under the database's single
 * writer lock, which gives the same guarantee. A replica that dies keeps its leases only until lease_until;
 * a live one renews them while it works (renewLeases) and releases each with the time of the next poll.
 *
 * Work left: a batch not yet terminal, or terminal but not yet accounted for (cost_recorded = false). The claim
 * reads those from managed_batch_work_left_index, a partial index whose condition is this one word for word (keep
 * them alike: a database uses a partial index only for a query whose condition implies the index's).
 */
export async function claimDueBatches(
  em: EntityManager,
  dialect: Dialect,
  owner: string,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<string[]> {
  const skipLocked = dialect === 'postgresql' ? ' for update skip locked' : '';
  const rows = await em.getConnection().execute<{ id: string }[]>(
    `update managed_batch set lease_owner = ?, lease_until = ?
      where id in (${DUE_BATCHES}${skipLocked})
     returning id`,
    [owner, now + leaseMs, now, now, limit],
    'all',
  );
  return rows.map((r) => r.id);
}

/** Extends the leases this owner still holds on `ids` (a lease taken over after expiry is left alone). */
export async function renewLeases(em: EntityManager, owner: string, ids: string[], until: number): Promise<number> {
  if (ids.length === 0) return 0;
  return em.nativeUpdate(ManagedBatch, { id: { $in: ids }, leaseOwner: owner }, { leaseUntil: until });
}

/** Gives a batch back, due again at `nextPollAt` (null: nothing left to do). Only if this owner still holds it. */
export async function releaseLease(em: EntityManager, owner: string, id: string, nextPollAt: number | null): Promise<void> {
  await em.nativeUpdate(ManagedBatch, { id, leaseOwner: owner }, { leaseOwner: null, leaseUntil: null, nextPollAt });
}

/** On shutdown: whatever this owner still holds is due again at once for the other replicas. */
export async function releaseAllLeases(em: EntityManager, owner: string): Promise<void> {
  await em.nativeUpdate(ManagedBatch, { leaseOwner: owner }, { leaseOwner: null, leaseUntil: null });
}

/** Tables whose rows are jobs claimed the same way (webhook outbox, pending deletes, batch create intents). */
export type LeasedTable = 'webhook_delivery' | 'pending_delete' | 'batch_create_intent';

/**
 * Claims up to `limit` due rows of a job table for `owner` until `now + leaseMs`, with the same one conditional
 * UPDATE as claimDueBatches (SKIP LOCKED on PostgreSQL, the single writer on SQLite), so each job is worked by
 * one replica at a time and a dead replica's jobs come back when its lease runs out. `due` is a fixed SQL
 * condition of the table (no user input) and `dueParams` its parameters.
 */
export async function claimDueRows(
  em: EntityManager,
  dialect: Dialect,
  table: LeasedTable,
  due: string,
  dueParams: unknown[],
  owner: string,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<string[]> {
  const skipLocked = dialect === 'postgresql' ? ' for update skip locked' : '';
  const rows = await em.getConnection().execute<{ id: string | number }[]>(
    `update ${table} set lease_owner = ?, lease_until = ?
      where id in (
        select id from ${table}
         where (${due})
           and (lease_until is null or lease_until < ?)
         limit ?${skipLocked})
     returning id`,
    [owner, now + leaseMs, ...dueParams, now, limit],
    'all',
  );
  return rows.map((r) => String(r.id));
}
