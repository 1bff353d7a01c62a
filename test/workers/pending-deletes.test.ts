import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileReplica, ManagedFile, PendingDelete } from '../../src/db/entities/index.js';
import { DATABASES } from '../../dev/databases.js';
import { chatJsonl, startStack, type Stack } from '../support/stack.js';
import { until } from '../support/tracking.js';

/**
 * Replica deletes that fail are not forgotten: a file delete answers at once and leaves the failed copy to the
 * janitor, which retries until the provider confirms; one that keeps failing past
 * `pending_delete_max_age_seconds` is given up loudly (error log + metric).
 */
describe.each(DATABASES)('pending replica deletes and the janitor (%s)', (db) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ db, tracker: { pollIntervalMs: 100 }, generalSettings: { pending_delete_max_age_seconds: 3 } });
  });
  afterAll(async () => {
    await s?.close();
  });
  const em = () => s.gateway.db.em();
  const upload = async (name: string) =>
    s.client.files.create({
      file: await toFile(Buffer.from(chatJsonl(2, 'gpt-4o-batch', name)), `${name}.jsonl`),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);

  it('deletes the file at once and retries the copy that failed until the provider confirms', async () => {
    const file = await upload('retried');
    const copy = (await em().findOneOrFail(FileReplica, { fileId: file.id, deploymentId: 'east' })).providerFileId;
    s.east.injectFault({ method: 'DELETE', path: /\/files\//, status: 500 });
    const res = await s.client.files.delete(file.id);
    expect(res.deleted).toBe(true);
    expect(await em().count(ManagedFile, { id: file.id })).toBe(0);
    expect(await em().count(FileReplica, { fileId: file.id })).toBe(0);
    expect((await em().findOneOrFail(PendingDelete, { providerFileId: copy })).reason).toBe('file_delete');
    await until('the janitor to retry', () => s.logs.some((l) => l.includes('"replica_delete_retry"')), 10_000, 50);
    expect(s.east.files.has(copy)).toBe(true);
    s.east.clearFaults();
    await until('the janitor to delete the copy', () => !s.east.files.has(copy), 20_000, 50);
    await until('the pending delete to be forgotten', async () => (await em().count(PendingDelete, {})) === 0, 10_000, 50);
    expect(s.logs.some((l) => l.includes('"replica_delete_done"'))).toBe(true);
  });

  it('gives up loudly after pending_delete_max_age_seconds', async () => {
    const file = await upload('abandoned');
    s.east.injectFault({ method: 'DELETE', path: /\/files\//, status: 500 });
    await s.client.files.delete(file.id);
    await until('the janitor to give up', () => s.logs.some((l) => l.includes('"replica_delete_abandoned"')), 30_000, 100);
    s.east.clearFaults();
    const line = JSON.parse(s.logs.find((l) => l.includes('"replica_delete_abandoned"'))!) as { level: number; reason: string };
    expect(line.level).toBe(50); // error
    expect(line.reason).toBe('file_delete');
    expect(await em().count(PendingDelete, {})).toBe(0);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/sluice_side_effects_abandoned_total\{kind="replica_delete"\} 1/);
  });
});
