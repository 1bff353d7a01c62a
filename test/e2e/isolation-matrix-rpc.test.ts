import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatJsonl } from '../support/stack.js';
import { DATABASES } from '../../dev/databases.js';
import {
  alter,
  buildIsolationWorld,
  INVALID,
  MAY_USE_GPT4O,
  SEES_TEAM_A,
  WHO,
  type OwnerApi,
  type Who,
  type World,
} from '../support/isolation-world.js';
import { startStack, type Stack } from '../support/stack.js';
import { failureOf, grpcClient, trpcClient, type TransportClient } from '../support/transports.js';

/**
 * The isolation matrix of the REST shim (isolation-matrix.test.ts), over gRPC and tRPC: the same callers, the
 * same objects, the same outcome in each transport's own words. Same router, same rules, by construction.
 */
type Outcome = 'ok' | 'unauthenticated' | 'forbidden' | 'not_found';

const OUTCOME_OF: Record<string, Outcome> = {
  UNAUTHENTICATED: 'unauthenticated',
  UNAUTHORIZED: 'unauthenticated',
  PERMISSION_DENIED: 'forbidden',
  FORBIDDEN: 'forbidden',
  NOT_FOUND: 'not_found',
};

async function outcomeOf(p: Promise<unknown>): Promise<{ outcome: Outcome | string; value?: unknown }> {
  try {
    return { outcome: 'ok', value: await p };
  } catch {
    const f = await failureOf(p);
    return { outcome: OUTCOME_OF[String(f.code)] ?? `${f.code}: ${f.message}` };
  }
}

interface RpcOp {
  name: string;
  run(c: TransportClient, w: World, owner: OwnerApi): Promise<unknown>;
  expect(who: Who): Outcome;
  check?(who: Who, value: any, w: World): void;
}

const ownedRead = (who: Who): Outcome => (INVALID.has(who) ? 'unauthenticated' : SEES_TEAM_A.has(who) ? 'ok' : 'not_found');
const alwaysMissing = (who: Who): Outcome => (INVALID.has(who) ? 'unauthenticated' : 'not_found');
const listed = (who: Who): Outcome => (INVALID.has(who) ? 'unauthenticated' : 'ok');

const OPS: RpcOp[] = [
  { name: 'get file', run: (c, w) => c.retrieveFile(w.file), expect: ownedRead },
  { name: 'file content', run: (c, w) => c.content(w.file), expect: ownedRead },
  { name: 'get output file', run: (c, w) => c.retrieveFile(w.output), expect: ownedRead },
  { name: 'output file content', run: (c, w) => c.content(w.output), expect: ownedRead },
  { name: 'get batch', run: (c, w) => c.retrieveBatch(w.batch), expect: ownedRead },
  {
    name: 'watch batch',
    run: (c, w) => c.untilTerminal(w.batch),
    expect: ownedRead,
    check: (_who, seen) => expect(seen.at(-1).status).toBe('completed'),
  },
  { name: 'cancel batch', run: async (c, w, owner) => c.cancelBatch(await owner.createBatch(w.file)), expect: ownedRead },
  { name: 'delete file', run: async (c, _w, owner) => c.deleteFile(await owner.upload()), expect: ownedRead },
  {
    name: 'create batch on the owner file',
    run: (c, w) => c.createBatch(w.file),
    expect: (who) =>
      INVALID.has(who) ? 'unauthenticated' : who === 'teammate_without_model' ? 'forbidden' : SEES_TEAM_A.has(who) ? 'ok' : 'not_found',
  },
  {
    name: 'upload to gpt-4o-batch',
    run: (c) => c.upload(chatJsonl(2), 'iso.jsonl', ['gpt-4o-batch']),
    expect: (who) => (INVALID.has(who) ? 'unauthenticated' : MAY_USE_GPT4O.has(who) ? 'ok' : 'forbidden'),
  },
  {
    name: 'list files',
    run: (c) => c.listFileIds(),
    expect: listed,
    check: (who, ids, w) => expect(ids.includes(w.file)).toBe(SEES_TEAM_A.has(who)),
  },
  {
    name: 'list batches',
    run: (c) => c.listBatchIds(),
    expect: listed,
    check: (who, ids, w) => expect(ids.includes(w.batch)).toBe(SEES_TEAM_A.has(who)),
  },
  { name: 'get raw provider file id', run: (c, w) => c.retrieveFile(w.rawFile), expect: alwaysMissing },
  { name: 'get raw provider batch id', run: (c, w) => c.retrieveBatch(w.rawBatch), expect: alwaysMissing },
  { name: 'create batch on a raw provider file id', run: (c, w) => c.createBatch(w.rawFile), expect: alwaysMissing },
  { name: 'get altered file id', run: (c, w) => c.retrieveFile(alter(w.file)), expect: alwaysMissing },
  { name: 'get altered batch id', run: (c, w) => c.retrieveBatch(alter(w.batch)), expect: alwaysMissing },
  { name: 'cancel altered batch id', run: (c, w) => c.cancelBatch(alter(w.batch)), expect: alwaysMissing },
  { name: 'delete altered file id', run: (c, w) => c.deleteFile(alter(w.file)), expect: alwaysMissing },
];

const TRANSPORTS = { grpc: grpcClient, trpc: trpcClient } as const;
const COMBOS = DATABASES.flatMap((db) => (Object.keys(TRANSPORTS) as (keyof typeof TRANSPORTS)[]).map((t) => [db, t] as const));

describe.each(COMBOS)('isolation matrix (%s) over %s', (db, transport) => {
  let s: Stack;
  let w: World;
  let keys: Record<Who, string | undefined>;
  let owner: OwnerApi;
  const clients: TransportClient[] = [];

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
    for (const c of clients) c.close();
    await s?.close();
  });

  const cases = OPS.flatMap((op) => WHO.map((who) => [op.name, who, op.expect(who), op] as const));
  it.each(cases)('%s as %s → %s', async (_name, who, expected, op) => {
    const client = TRANSPORTS[transport](s, keys[who] ?? '');
    clients.push(client);
    const { outcome, value } = await outcomeOf(op.run(client, w, owner));
    expect(outcome).toBe(expected);
    if (outcome === 'ok' && op.check) op.check(who, value, w);
  });
});
