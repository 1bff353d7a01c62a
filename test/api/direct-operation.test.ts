import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAuthedOperation } from '../../src/api/direct-operation.js';
import { createCaller } from '../../src/api/router.js';
import { listBatches, retrieveBatch } from '../../src/api/routers/batches.js';
import { createContext } from '../../src/api/trpc.js';
import { GatewayError } from '../../src/domain/errors.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';

/**
 * REST runs batches.retrieve and batches.list as direct operations (src/api/direct-operation.ts), the other transports through
 * the router: both must end in the same answer or the same GatewayError for every kind of call.
 */
describe('a direct operation and its procedure', () => {
  let s: Stack;
  let teamKey: string;
  let otherKey: string;
  let batchId: string;
  const ctx = (token: string | undefined) => createContext(s.gateway.gw, token);
  const outcome = async (p: Promise<unknown>) => {
    try {
      const value = (await p) as { id: string; status: string };
      return { ok: { id: value.id, status: value.status } };
    } catch (err) {
      const g = GatewayError.from(err);
      return { kind: g.kind, code: g.code, message: g.message, param: g.param };
    }
  };

  beforeAll(async () => {
    s = await startStack({ db: 'sqlite', tracker: false });
    const admin = createCaller(ctx(MASTER_KEY));
    const team = await admin.teams.create({ models: ['gpt-4o-batch'] });
    teamKey = (await admin.keys.generate({ team_id: team.team_id })).key;
    otherKey = (await admin.keys.generate({})).key;
    const file = await createCaller(ctx(teamKey)).files.upload({
      content: Readable.from([Buffer.from(chatJsonl(2))]),
      fields: async () => ({ filename: 'r.jsonl', purpose: 'batch', target_model_names: ['gpt-4o-batch'] }),
    });
    batchId = (
      await createCaller(ctx(teamKey)).batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      })
    ).id;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('batches.retrieve: same answer or same error, whoever calls with whatever', async () => {
    const calls: [string | undefined, unknown][] = [
      [teamKey, { batch_id: batchId }], // the owner
      [MASTER_KEY, { batch_id: batchId }], // the admin
      [otherKey, { batch_id: batchId }], // another tenant: the 404 of an unknown ID
      [teamKey, { batch_id: `${batchId.slice(0, -3)}zzz` }], // unknown
      [teamKey, { batch_id: 'not-an-id' }], // impossible
      [teamKey, { batch_id: 42 }], // the wrong type
      [teamKey, {}], // missing
      [undefined, { batch_id: batchId }], // no key
      ['sk-wrong', { batch_id: batchId }], // a wrong key
    ];
    const seen = [];
    for (const [token, input] of calls) {
      const viaRouter = await outcome(createCaller(ctx(token)).batches.retrieve(input as { batch_id: string }));
      const direct = await outcome(callAuthedOperation(retrieveBatch, ctx(token), input));
      expect(direct, JSON.stringify({ token, input })).toEqual(viaRouter);
      seen.push(direct);
    }
    // The calls above do reach every outcome: the batch, the isolation 404, an input error, a 401.
    expect(seen[0]).toEqual({ ok: { id: batchId, status: expect.any(String) } });
    expect(seen[2]).toMatchObject({ kind: 'not_found' });
    expect(seen[5]).toMatchObject({ kind: 'invalid_request', param: 'batch_id' });
    expect(seen[7]).toMatchObject({ kind: 'authentication' });
  });

  it('batches.list: same page or same error, whoever calls with whatever', async () => {
    const page = async (p: Promise<unknown>) => {
      try {
        const value = (await p) as { data: { id: string }[]; has_more: boolean };
        return { ids: value.data.map((b) => b.id), has_more: value.has_more };
      } catch (err) {
        const g = GatewayError.from(err);
        return { kind: g.kind, code: g.code, message: g.message, param: g.param };
      }
    };
    const calls: [string | undefined, unknown][] = [
      [teamKey, {}], // the owner
      [MASTER_KEY, { limit: 1 }], // the admin
      [otherKey, {}], // another tenant: an empty page
      [teamKey, { after: batchId }], // after the last one
      [otherKey, { after: batchId }], // a cursor the caller cannot see
      [teamKey, { target_model_names: ['gpt-4o-batch'] }],
      [teamKey, { limit: 0 }], // out of range
      [teamKey, { limit: 'many' }], // the wrong type
      [undefined, {}], // no key
      ['sk-wrong', {}], // a wrong key
    ];
    const seen = [];
    for (const [token, input] of calls) {
      const viaRouter = await page(createCaller(ctx(token)).batches.list(input as never));
      const direct = await page(callAuthedOperation(listBatches, ctx(token), input));
      expect(direct, JSON.stringify({ token, input })).toEqual(viaRouter);
      seen.push(direct);
    }
    expect(seen[0]).toEqual({ ids: [batchId], has_more: false });
    expect(seen[2]).toEqual({ ids: [], has_more: false });
    expect(seen[7]).toMatchObject({ kind: 'invalid_request' });
    expect(seen[8]).toMatchObject({ kind: 'authentication' });
  });
});
