import { describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES } from '../../dev/databases.js';
import { openDatabase } from '../../src/db/orm.js';
import { claimDueBatches, DUE_BATCHES } from '../../src/workers/leases.js';

/**
 * The tracker claims due batches every second on every replica: the claim must read the batches with work left
 * from their index, not the whole table of finished ones (issue 10: 100,000 stored batches; a sequential scan
 * took 31 ms a claim on PostgreSQL).
 */
describe.each(DATABASES)("the tracker's claim (%s)", (kind) => {
  it('reads the index of batches with work left, and claims just those', async () => {
    const db = await createTestDatabase(kind);
    const { orm, close } = await openDatabase(db.url, { migrate: true });
    try {
      const sql = orm.em.getConnection();
      const insert = (id: string, terminal: boolean, costRecorded: boolean) =>
        `('${id}', 'file-in', 'east', 'g', 'up-${id}', '${terminal ? 'completed' : 'in_progress'}', '/v1/chat/completions', 1, '{}', 1, ${terminal}, ${costRecorded})`;
      const columns = `("id", "input_file_id", "deployment_id", "model_group", "provider_batch_id", "status", "endpoint", "created_at", "snapshot", "updated_at", "terminal", "cost_recorded")`;
      const finished = Array.from({ length: 2000 }, (_, i) => insert(`batch_done${i}`, true, true));
      await sql.execute(`insert into "managed_batch" ${columns} values ${finished.join(', ')}`);
      await sql.execute(
        `insert into "managed_batch" ${columns} values ${[insert('batch_running', false, false), insert('batch_unbilled', true, false)].join(', ')}`,
      );
      await sql.execute(kind === 'postgresql' ? 'analyze "managed_batch"' : 'analyze');

      const claim = (await sql.execute(`${kind === 'postgresql' ? 'explain' : 'explain query plan'} ${DUE_BATCHES}`, [5, 5, 50])) as Record<
        string,
        unknown
      >[];
      expect(JSON.stringify(claim)).toContain('managed_batch_work_left_index');

      const claimed = await claimDueBatches(orm.em.fork(), kind, 'replica-a', Date.now(), 60_000, 50);
      expect(claimed.sort()).toEqual(['batch_running', 'batch_unbilled']);
    } finally {
      await close();
      await db.drop();
    }
  });
});
