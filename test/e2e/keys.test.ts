import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startGateway, type RunningGateway } from '../../src/app.js';
import { DATABASES } from '../../dev/databases.js';
import { validateOpenAI } from '../support/openapi.js';
import { MASTER_KEY, startStack, type Stack } from '../support/stack.js';

/** Key and team management as LiteLLM's scripts use it, and keys taking effect at once on every replica. */
describe.each(DATABASES)('virtual keys and teams (%s)', (db) => {
  let s: Stack;
  let replica: RunningGateway;
  const req = async (url: string, key: string | undefined, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json() };
  };
  const admin = (method: string, path: string, body?: unknown) => req(s.url, MASTER_KEY, method, path, body);

  beforeAll(async () => {
    s = await startStack({ db });
    // A second gateway on the same database: a replica behind the same load balancer.
    replica = await startGateway({ config: s.gateway.gw.config, databaseUrl: s.db.url, port: 0, logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await replica?.close();
    await s?.close();
  });

  it('generates a key whose secret is shown once, and reads it back by secret or id', async () => {
    const team = await admin('POST', '/team/new', { team_alias: 'research', models: ['gpt-4o-batch'], max_budget: 100 });
    expect(team.status).toBe(200);
    expect(team.body).toMatchObject({ team_alias: 'research', models: ['gpt-4o-batch'], max_budget: 100, spend: 0 });
    const gen = await admin('POST', '/key/generate', {
      team_id: team.body.team_id,
      user_id: 'u1',
      key_alias: 'ci',
      duration: '30d',
      max_budget: 5,
      metadata: { env: 'test' },
    });
    expect(gen.status).toBe(200);
    expect(gen.body.key).toMatch(/^sk-[A-Za-z0-9]{40}$/);
    expect(gen.body).toMatchObject({
      user_id: 'u1',
      team_id: team.body.team_id,
      key_alias: 'ci',
      max_budget: 5,
      metadata: { env: 'test' },
      spend: 0,
    });
    expect(Date.parse(gen.body.expires) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const bySecret = await admin('GET', `/key/info?key=${gen.body.key}`);
    expect(bySecret.status).toBe(200);
    expect(bySecret.body.info).toMatchObject({ user_id: 'u1', team_id: team.body.team_id, spend: 0, max_budget: 5, models: [] });
    expect(JSON.stringify(bySecret.body)).not.toContain(gen.body.key);
    const byId = await admin('GET', `/key/info?key=${gen.body.token}`);
    expect(byId.body).toEqual(bySecret.body);
    // A key may read itself, not others.
    expect((await req(s.url, gen.body.key, 'GET', '/key/info')).body.info.token).toBe(gen.body.token);

    const teamInfo = await admin('GET', `/team/info?team_id=${team.body.team_id}`);
    expect(teamInfo.body.team_info.team_alias).toBe('research');
    expect((await admin('GET', '/team/list')).body.map((t: { team_id: string }) => t.team_id)).toContain(team.body.team_id);
    const list = await admin('GET', `/key/list?team_id=${team.body.team_id}`);
    expect(list.body).toMatchObject({ keys: [gen.body.token], total_count: 1 });
  });

  it('limits a key to its models (empty = its team models; team with none = all), updated at once', async () => {
    const gen = await admin('POST', '/key/generate', { models: ['gpt-4o-mini-batch'] });
    const models = async (url: string) => (await req(url, gen.body.key, 'GET', '/v1/models')).body.data.map((m: { id: string }) => m.id);
    expect(await models(s.url)).toEqual(['gpt-4o-mini-batch']);
    const upd = await admin('POST', '/key/update', { key: gen.body.key, models: ['gpt-4o-batch'] });
    expect(upd.status).toBe(200);
    expect(await models(replica.url)).toEqual(['gpt-4o-batch']);
    await admin('POST', '/key/update', { key: gen.body.key, models: [] });
    expect((await models(s.url)).sort()).toEqual(['gpt-4o-batch', 'gpt-4o-mini-batch']);

    const team = await admin('POST', '/team/new', { models: ['gpt-4o-mini-batch'] });
    const member = await admin('POST', '/key/generate', { team_id: team.body.team_id });
    expect((await req(s.url, member.body.key, 'GET', '/v1/models')).body.data.map((m: { id: string }) => m.id)).toEqual([
      'gpt-4o-mini-batch',
    ]);
    const tooWide = await admin('POST', '/key/generate', { team_id: team.body.team_id, models: ['gpt-4o-batch'] });
    expect(tooWide.status).toBe(400);
    validateOpenAI('ErrorResponse', tooWide.body);
  });

  // Each replica caches a key's lookup for at most PRINCIPAL_TTL_MS (500 ms): the contract is 1 s.
  const oneSecond = () => new Promise((r) => setTimeout(r, 1000));

  it('deleted keys get 401 at once on the replica that deleted them, and within 1 s on every other', async () => {
    const gen = await admin('POST', '/key/generate', {});
    expect((await req(replica.url, gen.body.key, 'GET', '/v1/batches')).status).toBe(200); // now cached there
    const del = await admin('POST', '/key/delete', { keys: [gen.body.key] });
    expect(del.body).toEqual({ deleted_keys: [gen.body.token] });
    expect((await req(s.url, gen.body.key, 'GET', '/v1/batches')).status).toBe(401);
    await oneSecond();
    expect((await req(replica.url, gen.body.key, 'GET', '/v1/batches')).status).toBe(401);
  });

  it('a key re-scoped on one replica is re-scoped within 1 s on every other', async () => {
    const gen = await admin('POST', '/key/generate', { models: ['gpt-4o-mini-batch'] });
    const models = async (url: string) => (await req(url, gen.body.key, 'GET', '/v1/models')).body.data.map((m: { id: string }) => m.id);
    expect(await models(replica.url)).toEqual(['gpt-4o-mini-batch']); // now cached there
    expect((await admin('POST', '/key/update', { key: gen.body.key, models: ['gpt-4o-batch'] })).status).toBe(200);
    expect(await models(s.url)).toEqual(['gpt-4o-batch']);
    await oneSecond();
    expect(await models(replica.url)).toEqual(['gpt-4o-batch']);
  });

  it('expired keys get 401 on every replica', async () => {
    // Expiry is stored in whole seconds from the current second: '2s' lives more than 1 s and at most 2 s, so
    // the first call (made at once) always falls inside it and a call 2.1 s later always after it.
    const short = await admin('POST', '/key/generate', { duration: '2s' });
    expect((await req(replica.url, short.body.key, 'GET', '/v1/batches')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    for (const url of [s.url, replica.url]) expect((await req(url, short.body.key, 'GET', '/v1/batches')).status).toBe(401);
  });

  it('keeps key and team management to the master key, with clear errors', async () => {
    const gen = await admin('POST', '/key/generate', {});
    for (const [method, path, body] of [
      ['POST', '/key/generate', {}],
      ['POST', '/key/delete', { keys: ['sk-x'] }],
      ['GET', '/key/list', undefined],
      ['POST', '/team/new', {}],
      ['GET', '/team/list', undefined],
    ] as const) {
      const res = await req(s.url, gen.body.key, method, path, body);
      expect(res.status).toBe(403);
      validateOpenAI('ErrorResponse', res.body);
      expect((await req(s.url, undefined, method, path, body)).status).toBe(401);
    }
    expect((await admin('POST', '/key/generate', { duration: 'forever' })).status).toBe(400);
    expect((await admin('POST', '/key/generate', { models: ['no-such-group'] })).status).toBe(400);
    expect((await admin('POST', '/key/generate', { team_id: 'no-such-team' })).status).toBe(400);
    expect((await admin('GET', '/key/info?key=sk-unknown')).status).toBe(404);
    expect((await admin('GET', '/team/info?team_id=nope')).status).toBe(404);
    expect((await admin('POST', '/key/delete', { keys: ['sk-unknown'] })).status).toBe(404);
    expect((await admin('POST', '/key/generate', { max_budget: -1 })).status).toBe(400);
  });
});
