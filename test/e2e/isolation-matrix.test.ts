import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../../dev/databases.js';
import { validateOpenAI } from '../support/openapi.js';
import {
  alter,
  buildIsolationWorld,
  call,
  INVALID,
  MAY_USE_GPT4O,
  SEES_TEAM_A,
  uploadForm,
  WHO,
  type OwnerApi,
  type Who,
  type World,
} from '../support/isolation-world.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Tenant isolation: every endpoint × every kind of caller, with the status each must get. Another tenant's
 * object, a raw provider ID and an altered ID are all indistinguishable from an unknown one (404).
 */
interface Op {
  name: string;
  /** Runs the call as `key`; may prepare fresh objects as the owner first. */
  run(s: Stack, w: World, key: string | undefined, asOwner: OwnerApi): Promise<Response>;
  expect(who: Who): number;
  /** Extra check on a 200 (e.g. what a list contains). */
  check?(who: Who, body: any, w: World): void;
}

const ownedRead = (who: Who) => (INVALID.has(who) ? 401 : SEES_TEAM_A.has(who) ? 200 : 404);
const alwaysMissing = (who: Who) => (INVALID.has(who) ? 401 : 404);
const listed = (who: Who) => (INVALID.has(who) ? 401 : 200);

const OPS: Op[] = [
  { name: 'GET /v1/files/{id}', run: (s, w, k) => call(s, k, 'GET', `/v1/files/${w.file}`), expect: ownedRead },
  { name: 'GET /files/{id} (no /v1)', run: (s, w, k) => call(s, k, 'GET', `/files/${w.file}`), expect: ownedRead },
  { name: 'GET /v1/files/{id}/content', run: (s, w, k) => call(s, k, 'GET', `/v1/files/${w.file}/content`), expect: ownedRead },
  { name: 'GET /v1/files/{output id}', run: (s, w, k) => call(s, k, 'GET', `/v1/files/${w.output}`), expect: ownedRead },
  { name: 'GET /v1/files/{output id}/content', run: (s, w, k) => call(s, k, 'GET', `/v1/files/${w.output}/content`), expect: ownedRead },
  { name: 'GET /v1/batches/{id}', run: (s, w, k) => call(s, k, 'GET', `/v1/batches/${w.batch}`), expect: ownedRead },
  {
    name: 'POST /v1/batches/{id}/cancel',
    run: async (s, w, k, owner) => call(s, k, 'POST', `/v1/batches/${await owner.createBatch(w.file)}/cancel`),
    expect: ownedRead,
  },
  {
    name: 'DELETE /v1/files/{id}',
    run: async (s, _w, k, owner) => call(s, k, 'DELETE', `/v1/files/${await owner.upload()}`),
    expect: ownedRead,
  },
  {
    name: 'POST /v1/batches (on the owner file)',
    run: (s, w, k) =>
      call(s, k, 'POST', '/v1/batches', { input_file_id: w.file, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    expect: (who) => (INVALID.has(who) ? 401 : who === 'teammate_without_model' ? 403 : SEES_TEAM_A.has(who) ? 200 : 404),
  },
  {
    name: 'POST /v1/files (target gpt-4o-batch)',
    run: (s, _w, k) => call(s, k, 'POST', '/v1/files', uploadForm()),
    expect: (who) => (INVALID.has(who) ? 401 : MAY_USE_GPT4O.has(who) ? 200 : 403),
  },
  {
    name: 'GET /v1/files (list)',
    run: (s, _w, k) => call(s, k, 'GET', '/v1/files?limit=10000'),
    expect: listed,
    check: (who, body, w) => {
      const ids = body.data.map((f: { id: string }) => f.id);
      expect(ids.includes(w.file)).toBe(SEES_TEAM_A.has(who));
      expect(ids.includes(w.output)).toBe(SEES_TEAM_A.has(who));
      if (body.first_id) expect(ids).toContain(body.first_id);
    },
  },
  {
    name: 'GET /v1/batches (list)',
    run: (s, _w, k) => call(s, k, 'GET', '/v1/batches?limit=100'),
    expect: listed,
    check: (who, body, w) => expect(body.data.map((b: { id: string }) => b.id).includes(w.batch)).toBe(SEES_TEAM_A.has(who)),
  },
  {
    name: 'GET /v1/batches?after={owner batch} (cursor)',
    run: (s, w, k) => call(s, k, 'GET', `/v1/batches?after=${w.batch}`),
    expect: listed,
    check: (who, body, w) => {
      if (!SEES_TEAM_A.has(who)) expect(body).toMatchObject({ data: [], has_more: false });
      for (const b of body.data) expect(b.id).not.toBe(w.batch);
    },
  },
  {
    name: 'GET /v1/files?after={owner file} (cursor)',
    run: (s, w, k) => call(s, k, 'GET', `/v1/files?after=${w.file}`),
    expect: listed,
    check: (who, body) => {
      if (!SEES_TEAM_A.has(who)) expect(body).toMatchObject({ data: [], has_more: false });
    },
  },
  {
    name: 'GET /v1/batches?target_model_names=gpt-4o-batch',
    run: (s, _w, k) => call(s, k, 'GET', '/v1/batches?target_model_names=gpt-4o-batch'),
    expect: listed,
    check: (who, body, w) => expect(body.data.map((b: { id: string }) => b.id).includes(w.batch)).toBe(SEES_TEAM_A.has(who)),
  },
  {
    name: 'GET /model_group/info',
    run: (s, _w, k) => call(s, k, 'GET', '/model_group/info'),
    expect: listed,
    check: (who, body) => {
      const groups = body.data.map((g: { model_group: string }) => g.model_group);
      expect(groups.includes('gpt-4o-batch')).toBe(MAY_USE_GPT4O.has(who));
    },
  },
  {
    name: 'GET /v1/models',
    run: (s, _w, k) => call(s, k, 'GET', '/v1/models'),
    expect: listed,
    check: (who, body) => expect(body.data.map((m: { id: string }) => m.id).includes('gpt-4o-batch')).toBe(MAY_USE_GPT4O.has(who)),
  },
  { name: 'GET /v1/files/{raw provider id}', run: (s, w, k) => call(s, k, 'GET', `/v1/files/${w.rawFile}`), expect: alwaysMissing },
  {
    name: 'GET /v1/files/{raw provider id}/content',
    run: (s, w, k) => call(s, k, 'GET', `/v1/files/${w.rawFile}/content`),
    expect: alwaysMissing,
  },
  { name: 'GET /v1/batches/{raw provider id}', run: (s, w, k) => call(s, k, 'GET', `/v1/batches/${w.rawBatch}`), expect: alwaysMissing },
  {
    name: 'POST /v1/batches (raw provider file id)',
    run: (s, w, k) =>
      call(s, k, 'POST', '/v1/batches', { input_file_id: w.rawFile, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    expect: alwaysMissing,
  },
  { name: 'GET /v1/files/{one char changed}', run: (s, w, k) => call(s, k, 'GET', `/v1/files/${alter(w.file)}`), expect: alwaysMissing },
  {
    name: 'GET /v1/batches/{one char changed}',
    run: (s, w, k) => call(s, k, 'GET', `/v1/batches/${alter(w.batch)}`),
    expect: alwaysMissing,
  },
  {
    name: 'DELETE /v1/files/{one char changed}',
    run: (s, w, k) => call(s, k, 'DELETE', `/v1/files/${alter(w.file)}`),
    expect: alwaysMissing,
  },
  {
    name: 'POST /v1/batches/{one char changed}/cancel',
    run: (s, w, k) => call(s, k, 'POST', `/v1/batches/${alter(w.batch)}/cancel`),
    expect: alwaysMissing,
  },
];

describe.each(DATABASES)('isolation matrix over REST (%s)', (db) => {
  let s: Stack;
  let w: World;
  let keys: Record<Who, string | undefined>;
  let owner: OwnerApi;

  beforeAll(async () => {
    s = await startStack({
      db,
      timing: {
        validatingMs: 3_600_000,
        inProgressMs: 3_600_000,
        finalizingMs: 3_600_000,
        cancellingMs: 60_000,
      } /* batches move only when the world advances them: a new batch is still cancellable however slow the machine */,
    });
    ({ keys, world: w, owner } = await buildIsolationWorld(s));
  });
  afterAll(async () => {
    await s?.close();
  });

  const cases = OPS.flatMap((op) => WHO.map((who) => [op.name, who, op.expect(who), op] as const));
  it.each(cases)('%s as %s → %i', async (_name, who, status, op) => {
    const res = await op.run(s, w, keys[who], owner);
    const text = await res.text();
    expect(res.status, text).toBe(status);
    if (status !== 200) {
      const body = JSON.parse(text);
      validateOpenAI('ErrorResponse', body);
      if (status === 404) expect(body.error.code).toBe('not_found');
    } else if (op.check) {
      op.check(who, JSON.parse(text), w);
    }
  });

  it("a foreign ID's 404 is byte-for-byte the 404 of an unknown ID", async () => {
    const foreign = await (await call(s, keys.other_team, 'GET', `/v1/files/${w.file}`)).json();
    const unknownId = 'file-' + 'Z'.repeat(24);
    const unknown = await (await call(s, keys.other_team, 'GET', `/v1/files/${unknownId}`)).json();
    expect(JSON.stringify(foreign).replace(w.file, 'ID')).toBe(JSON.stringify(unknown).replace(unknownId, 'ID'));
  });

  it('leaves the owner objects untouched after every foreign attempt', async () => {
    const b = await s.clientFor(keys.owner!).batches.retrieve(w.batch);
    expect(b.status).toBe('completed');
    expect((await s.clientFor(keys.owner!).files.retrieve(w.file)).id).toBe(w.file);
  });

  it('stores keys hashed: the database never holds a secret', async () => {
    const em = s.gateway.db.em();
    const rows = await em.getConnection().execute('select * from virtual_key');
    const dump = JSON.stringify(rows);
    for (const who of WHO) if (keys[who] && who !== 'master' && who !== 'wrong') expect(dump).not.toContain(keys[who]!);
  });
});
