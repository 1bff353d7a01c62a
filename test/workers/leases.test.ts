import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedBatch } from '../../src/db/entities/index.js';
import { openDatabase, type Database } from '../../src/db/orm.js';
import { newBatchId } from '../../src/domain/ids.js';
import { claimDueBatches, releaseAllLeases, releaseLease, renewLeases } from '../../src/workers/leases.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../dev/databases.js';

/** The lease statements on their own, against a real database of each kind. */
describe.each(DATABASES)('batch leases (%s)', (kind) => {
  let tdb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    db = await openDatabase(tdb.url);
  });
  afterAll(async () => {
    await db?.close();
    await tdb?.drop();
  });

  async function seed(n: number, fields: Partial<ManagedBatch> = {}): Promise<string[]> {
    const em = db.em();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = newBatchId();
      ids.push(id);
      em.create(ManagedBatch, {
        id,
        ownerKeyId: null,
        ownerUserId: null,
        ownerTeamId: null,
        inputFileId: 'file-x',
        deploymentId: 'd',
        modelGroup: 'g',
        providerBatchId: `raw-${id}`,
        status: 'in_progress',
        endpoint: '/v1/chat/completions',
        createdAt: 1,
        terminal: false,
        snapshot: {},
        updatedAt: 1,
        nextPollAt: 0,
        ...fields,
      });
    }
    await em.flush();
    return ids;
  }
  const clear = () => db.em().nativeDelete(ManagedBatch, {});

  it('gives concurrent claimers disjoint batches, and each due batch to exactly one of them', async () => {
    await clear();
    const ids = await seed(40);
    const now = Date.now();
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => claimDueBatches(db.em(), db.dialect, `owner-${i}`, now, 60_000, 7)),
    );
    const all = claims.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(40);
    expect(new Set(all)).toEqual(new Set(ids));
    // Nothing left to claim while the leases hold.
    expect(await claimDueBatches(db.em(), db.dialect, 'late', now + 1000, 60_000, 100)).toEqual([]);
    const rows = await db.em().find(ManagedBatch, {});
    for (const [i, claimed] of claims.entries()) {
      for (const id of claimed) expect(rows.find((r) => r.id === id)!.leaseOwner).toBe(`owner-${i}`);
    }
  });

  it('claims only work left: not-yet-due, finished-and-accounted and leased batches are skipped', async () => {
    await clear();
    const now = Date.now();
    const [due] = await seed(1);
    await seed(1, { nextPollAt: now + 60_000 });
    await seed(1, { terminal: true, costRecorded: true, status: 'completed' });
    const [unaccounted] = await seed(1, { terminal: true, costRecorded: false, status: 'completed' });
    await seed(1, { leaseOwner: 'someone', leaseUntil: now + 60_000 });
    const [expiredLease] = await seed(1, { leaseOwner: 'dead', leaseUntil: now - 1 });
    const [legacy] = await seed(1, { nextPollAt: null });
    const claimed = await claimDueBatches(db.em(), db.dialect, 'me', now, 1000, 100);
    expect(new Set(claimed)).toEqual(new Set([due, unaccounted, expiredLease, legacy]));
  });

  it('renews and releases only what the owner still holds', async () => {
    await clear();
    const now = Date.now();
    const [a, b] = await seed(2);
    await claimDueBatches(db.em(), db.dialect, 'me', now, 1000, 100);
    // b's lease runs out and another replica takes it over.
    await db.em().nativeUpdate(ManagedBatch, { id: b }, { leaseOwner: 'other', leaseUntil: now + 5000 });
    expect(await renewLeases(db.em(), 'me', [a, b], now + 9000)).toBe(1);
    await releaseLease(db.em(), 'me', b, now + 100); // not ours any more: no effect
    expect((await db.em().findOneOrFail(ManagedBatch, { id: b })).leaseOwner).toBe('other');
    await releaseLease(db.em(), 'me', a, now + 100);
    const ra = await db.em().findOneOrFail(ManagedBatch, { id: a });
    expect([ra.leaseOwner, ra.leaseUntil, Number(ra.nextPollAt)]).toEqual([null, null, now + 100]);
    await releaseAllLeases(db.em(), 'other');
    expect((await db.em().findOneOrFail(ManagedBatch, { id: b })).leaseOwner).toBeNull();
  });
});
