import { describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES } from '../../dev/databases.js';
import { openDatabase } from '../../src/db/orm.js';

/** Output files registered before Migration20261202164500 get our name instead of the provider's. */
describe.each(DATABASES)('the output filename migration (%s)', (kind) => {
  it('renames output and error files after our batch ID, and nothing else', async () => {
    const db = await createTestDatabase(kind);
    const { orm, close } = await openDatabase(db.url, { migrate: false });
    try {
      await orm.migrator.up({ to: 'Migration20261202155815' });
      const sql = orm.em.getConnection();
      await sql.execute(
        `insert into "managed_batch" ("id", "input_file_id", "deployment_id", "model_group", "provider_batch_id", "status", "endpoint", "created_at", "output_file_id", "error_file_id", "snapshot", "updated_at") values ('batch_ours', 'file-in', 'east', 'g', 'batch_upstream123', 'completed', '/v1/chat/completions', 1, 'file-out', 'file-err', '{}', 1)`,
      );
      for (const [id, kindOf, name] of [
        ['file-in', 'input', 'mine.jsonl'],
        ['file-out', 'output', 'batch_upstream123_output.jsonl'],
        ['file-err', 'error', 'batch_upstream123_error.jsonl'],
        ['file-orphan', 'output', 'batch_other_output.jsonl'],
      ]) {
        await sql.execute(
          `insert into "managed_file" ("id", "filename", "purpose", "kind", "bytes", "created_at", "target_model_names") values ('${id}', '${name}', 'batch', '${kindOf}', 1, 1, '["g"]')`,
        );
      }
      await orm.migrator.up();
      const rows = (await sql.execute(`select "id", "filename" from "managed_file" order by "id"`)) as { id: string; filename: string }[];
      expect(Object.fromEntries(rows.map((r) => [r.id, r.filename]))).toEqual({
        'file-err': 'batch_ours_error.jsonl',
        'file-in': 'mine.jsonl',
        'file-orphan': 'batch_other_output.jsonl', // no batch names it: left alone
        'file-out': 'batch_ours_output.jsonl',
      });
    } finally {
      await close();
      await db.drop();
    }
  });
});
