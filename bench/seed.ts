import pg from 'pg';
import type { Target } from './load-generators.js';
import { MODEL_GROUP } from './sluice-process.js';

async function call<T>(url: string, key: string, init: { method?: string; json?: unknown; body?: FormData } = {}): Promise<T> {
  const res = await fetch(url, {
    method: init.method ?? (init.json || init.body ? 'POST' : 'GET'),
    headers: { authorization: `Bearer ${key}`, ...(init.json ? { 'content-type': 'application/json' } : {}) },
    body: init.json ? JSON.stringify(init.json) : init.body,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'POST'} ${url}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A team that may use the bench's model group and a virtual key in it (made with the master key, as an admin would). */
export async function createVirtualKey(sluiceUrl: string, masterKey: string): Promise<string> {
  const team = await call<{ team_id: string }>(`${sluiceUrl}/team/new`, masterKey, {
    json: { team_alias: 'bench', models: [MODEL_GROUP] },
  });
  const key = await call<{ key: string }>(`${sluiceUrl}/key/generate`, masterKey, {
    json: { team_id: team.team_id, key_alias: 'bench', models: [MODEL_GROUP] },
  });
  return key.key;
}

export interface RunningBatch {
  /** sluice's unified id. */
  id: string;
  /** The stand-in's id for it, and which deployment (0-based, as in the config) holds it. */
  providerBatchId: string;
  deploymentIndex: number;
}

/** A managed batch made through sluice's API (upload + create); the stand-in keeps it `in_progress` for ever. */
export async function createRunningBatch(sluiceUrl: string, key: string, databaseUrl: string): Promise<RunningBatch> {
  const line = (n: number) =>
    JSON.stringify({
      custom_id: `seed-${n}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: MODEL_GROUP, messages: [{ role: 'user', content: 'hi' }] },
    });
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('target_model_names', MODEL_GROUP);
  form.set('file', new Blob([`${line(1)}\n${line(2)}\n`]), 'seed.jsonl');
  const file = await call<{ id: string }>(`${sluiceUrl}/v1/files`, key, { body: form });
  const batch = await call<{ id: string; status: string }>(`${sluiceUrl}/v1/batches`, key, {
    json: { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' },
  });
  // Raw provider ids never leave sluice's API: the direct and Portkey calls read it where sluice keeps it.
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ provider_batch_id: string; deployment_id: string }>(
      'select provider_batch_id, deployment_id from managed_batch where id = $1',
      [batch.id],
    );
    return {
      id: batch.id,
      providerBatchId: rows[0].provider_batch_id,
      deploymentIndex: Number(/(\d+)$/.exec(rows[0].deployment_id)![1]) - 1,
    };
  } finally {
    await db.end();
  }
}

/**
 * `count` more batches of the same owner (so the caller's team), written straight into the database in one
 * INSERT … SELECT: copies of `templateId` with new ids, older `created_at`s, and finished (completed, cost
 * recorded) so that the tracker leaves them alone. Columns are read from the catalog, so a later migration that
 * adds one does not break the bench (new columns are copied from the template).
 */
export async function seedFinishedBatches(databaseUrl: string, templateId: string, count: number): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_schema = current_schema() and table_name = 'managed_batch' order by ordinal_position`,
    );
    const overrides: Record<string, string> = {
      id: 's.id',
      provider_batch_id: `'batch_seeded' || s.n`,
      status: `'completed'`,
      terminal: 'true',
      cost_recorded: 'true',
      created_at: 't.created_at - 1 - s.n',
      snapshot: `jsonb_set(jsonb_set(t.snapshot::jsonb, '{id}', to_jsonb(s.id)), '{status}', '"completed"')`,
      lease_owner: 'null',
      lease_until: 'null',
      next_poll_at: 'null',
    };
    const columns = rows.map((r) => r.column_name);
    const select = columns.map((c) => overrides[c] ?? `t."${c}"`);
    // An id as sluice makes them: "batch_" and 32 letters or digits (here the hex of an md5).
    await db.query(
      `insert into managed_batch (${columns.map((c) => `"${c}"`).join(', ')})
       select ${select.join(', ')}
       from managed_batch t, (select n, 'batch_' || md5($2 || n::text) as id from generate_series(1, $3::int) n) s
       where t.id = $1`,
      [templateId, templateId, count],
    );
    // Vacuumed now, as a table that has been in use would be: otherwise autovacuum (100,000 new rows) went
    // through it while the retrieves were being measured, a PostgreSQL process busy beside them.
    await db.query('vacuum (analyze) managed_batch');
  } finally {
    await db.end();
  }
}

/**
 * What the retrieve load polls: a new virtual key with `count` running batches, and the target that asks for
 * one of them per connection.
 */
export async function pollingLoad(
  sluiceUrl: string,
  masterKey: string,
  databaseUrl: string,
  count: number,
): Promise<{ key: string; batches: RunningBatch[]; target: Target }> {
  const key = await createVirtualKey(sluiceUrl, masterKey);
  const batches: RunningBatch[] = [];
  for (let i = 0; i < count; i++) batches.push(await createRunningBatch(sluiceUrl, key, databaseUrl));
  const paths = batches.map((b) => `/v1/batches/${b.id}`);
  return { key, batches, target: { origin: sluiceUrl, path: paths[0], paths, headers: { authorization: `Bearer ${key}` } } };
}
