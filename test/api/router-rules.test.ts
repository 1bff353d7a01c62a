import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../../src/api/router.js';
import { createContext } from '../../src/api/trpc.js';
import { GatewayError, type ErrorKind } from '../../src/domain/errors.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';

/**
 * The rules, checked at the router itself (createCaller, as REST and gRPC call it), without a wire: which
 * GatewayError a call ends in is the contract every transport then maps through one table.
 */
describe('the router, called in-process', () => {
  let s: Stack;
  const as = (token: string | undefined) => createCaller(createContext(s.gateway.gw, token));
  const kindOf = async (p: Promise<unknown>): Promise<{ kind: ErrorKind; code: string | null } | 'ok'> => {
    try {
      await p;
      return 'ok';
    } catch (err) {
      const g = GatewayError.from(err);
      if (g.kind === 'internal') throw err;
      return { kind: g.kind, code: g.code };
    }
  };
  const upload = (token: string, text: string) =>
    as(token).files.upload({
      content: Readable.from([Buffer.from(text)]),
      fields: async () => ({ filename: 'r.jsonl', purpose: 'batch', target_model_names: ['gpt-4o-batch'] }),
    });
  let teamKey: string;
  let otherKey: string;

  beforeAll(async () => {
    s = await startStack({ db: 'sqlite', tracker: false });
    const admin = as(MASTER_KEY);
    const team = await admin.teams.create({ models: ['gpt-4o-batch'] });
    teamKey = (await admin.keys.generate({ team_id: team.team_id })).key;
    otherKey = (await admin.keys.generate({})).key;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('authentication: no key and a wrong key are authentication errors; a virtual key is not the admin', async () => {
    expect(await kindOf(as(undefined).files.list({}))).toEqual({ kind: 'authentication', code: 'invalid_api_key' });
    expect(await kindOf(as('sk-wrong').files.list({}))).toEqual({ kind: 'authentication', code: 'invalid_api_key' });
    expect(await kindOf(as(teamKey).keys.list({}))).toMatchObject({ kind: 'permission' });
  });

  it('isolation: another tenant gets the same not_found as an unknown ID, for files and batches', async () => {
    const file = await upload(teamKey, chatJsonl(2));
    const batch = await as(teamKey).batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    for (const [foreign, unknown] of [
      [as(otherKey).files.retrieve({ file_id: file.id }), as(otherKey).files.retrieve({ file_id: `${file.id.slice(0, -3)}zzz` })],
      [as(otherKey).batches.retrieve({ batch_id: batch.id }), as(otherKey).batches.retrieve({ batch_id: `${batch.id.slice(0, -3)}zzz` })],
    ]) {
      expect(await kindOf(foreign)).toEqual({ kind: 'not_found', code: 'not_found' });
      expect(await kindOf(unknown)).toEqual({ kind: 'not_found', code: 'not_found' });
    }
    expect((await as(otherKey).batches.list({})).data.map((b) => b.id)).not.toContain(batch.id);
  });

  it('field validation: a bad line, a bad endpoint and bad metadata are invalid_request before any provider call', async () => {
    const posts = () => [s.east, s.west].flatMap((e) => e.requests.filter((r) => r.method === 'POST')).length;
    const before = posts();
    expect(await kindOf(upload(teamKey, `${chatJsonl(1)}{oops\n`))).toMatchObject({ kind: 'invalid_request' });
    const file = await upload(teamKey, chatJsonl(1));
    const afterUpload = posts();
    expect(afterUpload - before).toBe(2); // the good upload's two copies, nothing for the bad one
    expect(
      await kindOf(as(teamKey).batches.create({ input_file_id: file.id, endpoint: '/v1/nope' as never, completion_window: '24h' })),
    ).toMatchObject({ kind: 'invalid_request' });
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    expect(
      await kindOf(
        as(teamKey).batches.create({
          input_file_id: file.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
          metadata: tooMany,
        }),
      ),
    ).toMatchObject({ kind: 'invalid_request' });
    expect(posts()).toBe(afterUpload);
  });

  it('idempotency: the same Idempotency-Key and body give the same batch; another body with it is a conflict', async () => {
    const file = await upload(teamKey, chatJsonl(1));
    const body = {
      input_file_id: file.id,
      endpoint: '/v1/chat/completions' as const,
      completion_window: '24h' as const,
      idempotency_key: 'router-rules-1',
    };
    const first = await as(teamKey).batches.create(body);
    expect((await as(teamKey).batches.create(body)).id).toBe(first.id);
    expect(await kindOf(as(teamKey).batches.create({ ...body, metadata: { other: 'body' } }))).toMatchObject({ kind: 'conflict' });
  });
});
