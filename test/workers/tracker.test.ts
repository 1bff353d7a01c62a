import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedBatch, SpendRecord, Team, VirtualKey } from '../../src/db/entities/index.js';
import { signWebhookBody } from '../../src/workers/webhook-outbox.js';
import { recordBatchState } from '../../src/domain/batches/record-state.js';
import { recordBatchCost } from '../../src/domain/cost/record-batch-cost.js';
import type { ProviderEmulator } from '../../dev/emulators/index.js';
import { DATABASES } from '../../dev/databases.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';
import { batchGets, costAt, expectedChatUsage, until } from '../support/tracking.js';

const HOUR = 3_600_000;
const WEBHOOK_SECRET = 'whsec-test-5f4e3d2c1b';

interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A webhook receiver that answers 500 to the first delivery attempt of every batch, then 200. */
async function startWebhookReceiver(): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      deliveries.push({ headers: req.headers, body });
      const delivery = String(req.headers['x-sluice-delivery']);
      const first = !seen.has(delivery);
      seen.add(delivery);
      res.writeHead(first ? 500 : 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sluice`, deliveries, server };
}

/** The tracker on its own: no test here retrieves a batch unless it says so. Emulators move only on advance(). */
describe.each(DATABASES)('batch tracker, cost, budgets, events and metrics (%s)', (db) => {
  let s: Stack;
  let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    hooks = await startWebhookReceiver();
    s = await startStack({
      db,
      timing: { validatingMs: HOUR, inProgressMs: HOUR, finalizingMs: HOUR, cancellingMs: HOUR },
      tracker: { pollIntervalMs: 100, finalizingPollIntervalMs: 50, leaseMs: 2000 },
      generalSettings: { batch_webhook_url: hooks.url, batch_webhook_secret: WEBHOOK_SECRET },
      webhook: { baseDelayMs: 20 },
    });
  });
  afterAll(async () => {
    await s?.close();
    hooks?.server.close();
  });

  const em = () => s.gateway.db.em();
  const row = (id: string) => em().findOneOrFail(ManagedBatch, { id });
  const emulatorOf = (deploymentId: string): ProviderEmulator => ({ east: s.east, west: s.west, 'openai-mini': s.openai })[deploymentId]!;
  async function upstream(id: string) {
    const r = await row(id);
    return { emu: emulatorOf(r.deploymentId), raw: r.providerBatchId };
  }
  const settled = (id: string) =>
    until(`batch ${id} accounted for`, async () => {
      const r = await row(id);
      return r.terminal && r.costRecorded ? r : null;
    });
  const statusIs = (id: string, status: string) => until(`batch ${id} ${status} in sluice`, async () => (await row(id)).status === status);

  async function newKey(body: Record<string, unknown> = {}) {
    const res = await fetch(`${s.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const info = (await res.json()) as { key: string; token: string };
    return { secret: info.key, id: info.token, client: s.clientFor(info.key) };
  }
  async function newTeam(maxBudget?: number) {
    const res = await fetch(`${s.url}/team/new`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ max_budget: maxBudget ?? null }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { team_id: string }).team_id;
  }
  async function uploadAndCreate(client: OpenAI, jsonl: string) {
    const file = await client.files.create({
      file: await toFile(Buffer.from(jsonl), 'in.jsonl'),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    return { file, batch };
  }
  const spendOf = async (keyId: string) => Number((await em().findOneOrFail(VirtualKey, { id: keyId })).spend);
  const teamSpend = async (teamId: string) => Number((await em().findOneOrFail(Team, { id: teamId })).spend);
  const events = (name: string, batchId: string) =>
    s.logs.map((l) => JSON.parse(l)).filter((e) => e.event === name && e.batch_id === batchId);

  it('follows a batch to completed with no retrieve, records its exact cost once, and tells the logs and the webhook', async () => {
    const team = await newTeam();
    const key = await newKey({ team_id: team });
    const jsonl = chatJsonl(4, 'gpt-4o-batch', 'done');
    const { batch } = await uploadAndCreate(key.client, jsonl);
    const { emu, raw } = await upstream(batch.id);

    emu.advance(raw); // validating → in_progress
    await statusIs(batch.id, 'in_progress');
    emu.advance(raw); // → finalizing
    await statusIs(batch.id, 'finalizing');
    emu.advance(raw); // → completed, output written
    const done = await settled(batch.id);
    expect(done.status).toBe('completed');

    // Hand-computed: 4 lines, input ceil(len(messages)/4) each, output 10 each, at $1.25 / $5 per 1M.
    const expected = expectedChatUsage(jsonl);
    const cost = costAt(expected);
    const record = await em().findOneOrFail(SpendRecord, { batchId: batch.id });
    expect({ requests: record.requests, input: Number(record.inputTokens), output: Number(record.outputTokens) }).toEqual(expected);
    expect(Number(record.cost)).toBeCloseTo(cost, 15);
    expect(record.ownerKeyId).toBe(key.id);
    expect(record.ownerTeamId).toBe(team);
    expect(await spendOf(key.id)).toBeCloseTo(cost, 15);
    expect(await teamSpend(team)).toBeCloseTo(cost, 15);

    // The user now retrieves it 100 times, some at once: nothing is added, nothing is fetched again.
    const contentGets = () => emu.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/content')).length;
    const before = { gets: batchGets(emu, raw).length, content: contentGets() };
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(Array.from({ length: 10 }, () => key.client.batches.retrieve(batch.id)));
      expect(results.every((b) => b.status === 'completed')).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 300)); // a few tracker intervals
    expect(await em().count(SpendRecord, { batchId: batch.id })).toBe(1);
    expect(await spendOf(key.id)).toBeCloseTo(cost, 15);
    expect(await teamSpend(team)).toBeCloseTo(cost, 15);
    expect(batchGets(emu, raw).length).toBe(before.gets);
    expect(contentGets()).toBe(before.content);

    // Structured events: created, each status change, finished (with counts, tokens, cost, duration).
    expect(events('batch_created', batch.id)).toHaveLength(1);
    expect(events('batch_status_changed', batch.id).map((e) => e.to)).toEqual(['in_progress', 'finalizing', 'completed']);
    const [finished] = events('batch_finished', batch.id);
    expect(events('batch_finished', batch.id)).toHaveLength(1);
    expect(finished).toMatchObject({
      status: 'completed',
      model_group: 'gpt-4o-batch',
      key_id: key.id,
      team_id: team,
      billed_requests: 4,
      input_tokens: expected.input,
      output_tokens: expected.output,
      request_counts: { total: 4, completed: 4, failed: 0 },
    });
    expect(finished.cost).toBeCloseTo(cost, 15);
    expect(finished.duration_seconds).toBeGreaterThanOrEqual(0);

    // The webhook: refused once (500), retried, delivered; signed; one delivery ID.
    const mine = await until('webhook deliveries', () => {
      const d = hooks.deliveries.filter((x) => JSON.parse(x.body).data.batch_id === batch.id);
      return d.length >= 2 ? d : null;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(hooks.deliveries.filter((x) => JSON.parse(x.body).data.batch_id === batch.id)).toHaveLength(2);
    expect(new Set(mine.map((d) => d.headers['x-sluice-delivery'])).size).toBe(1);
    for (const d of mine) {
      expect(d.headers['x-sluice-signature']).toBe(signWebhookBody(WEBHOOK_SECRET, d.body));
      expect(d.headers['x-sluice-event']).toBe('batch.finished');
    }
    const payload = JSON.parse(mine[1].body);
    expect(payload.type).toBe('batch.finished');
    expect(payload.data).toMatchObject({ batch_id: batch.id, status: 'completed', input_tokens: expected.input });
  });

  it('bills what ran of a batch cancelled mid-way, and nothing for one cancelled before it started', async () => {
    const key = await newKey();
    const jsonl = chatJsonl(6, 'gpt-4o-batch', 'cancel');
    const { batch } = await uploadAndCreate(key.client, jsonl);
    const { emu, raw } = await upstream(batch.id);
    emu.advance(raw);
    await statusIs(batch.id, 'in_progress');
    const cancelling = await key.client.batches.cancel(batch.id); // the emulator runs half the lines
    expect(cancelling.status).toBe('cancelling');
    emu.advance(raw); // → cancelled, partial output
    const done = await settled(batch.id);
    expect(done.status).toBe('cancelled');
    const cost = costAt(expectedChatUsage(jsonl, 3));
    const record = await em().findOneOrFail(SpendRecord, { batchId: batch.id });
    expect(record.requests).toBe(3);
    expect(Number(record.cost)).toBeCloseTo(cost, 15);
    expect(await spendOf(key.id)).toBeCloseTo(cost, 15);

    // Cancelled while validating: an error file only, no output → nothing billed, but accounted for once.
    const early = await uploadAndCreate(key.client, chatJsonl(2, 'gpt-4o-batch', 'early'));
    await key.client.batches.cancel(early.batch.id);
    const up = await upstream(early.batch.id);
    up.emu.advance(up.raw);
    const none = await settled(early.batch.id);
    expect(none.status).toBe('cancelled');
    expect(none.outputFileId).toBeNull();
    expect(await em().count(SpendRecord, { batchId: early.batch.id })).toBe(0);
    expect(events('batch_finished', early.batch.id)).toHaveLength(1);
    expect(events('batch_finished', early.batch.id)[0].cost).toBe(0);
    expect(await spendOf(key.id)).toBeCloseTo(cost, 15);
  });

  it('bills the finished part of an expired batch', async () => {
    const key = await newKey();
    const jsonl = chatJsonl(4, 'gpt-4o-batch', 'exp');
    const { batch } = await uploadAndCreate(key.client, jsonl);
    const { emu, raw } = await upstream(batch.id);
    emu.advance(raw);
    await statusIs(batch.id, 'in_progress');
    emu.expire(raw); // half done, the rest batch_expired
    const done = await settled(batch.id);
    expect(done.status).toBe('expired');
    const record = await em().findOneOrFail(SpendRecord, { batchId: batch.id });
    expect(record.requests).toBe(2);
    expect(Number(record.cost)).toBeCloseTo(costAt(expectedChatUsage(jsonl, 2)), 15);
  });

  it('records once when the tracker and many retrieves race to the same finished batch', async () => {
    const key = await newKey();
    const jsonl = chatJsonl(3, 'gpt-4o-batch', 'race');
    const { batch } = await uploadAndCreate(key.client, jsonl);
    const { emu, raw } = await upstream(batch.id);
    emu.finishAll();
    await Promise.all(Array.from({ length: 20 }, () => key.client.batches.retrieve(batch.id)));
    await settled(batch.id);
    await new Promise((r) => setTimeout(r, 300));
    const cost = costAt(expectedChatUsage(jsonl));
    expect(await em().count(SpendRecord, { batchId: batch.id })).toBe(1);
    expect(await spendOf(key.id)).toBeCloseTo(cost, 15);
    expect(events('batch_finished', batch.id)).toHaveLength(1);

    // recordBatchCost itself, five callers at once with rows read before any record existed: one transaction
    // wins (or the tracker's did), the others hit the primary key, roll back whole and count as done.
    const other = await uploadAndCreate(key.client, jsonl);
    const up = await upstream(other.batch.id);
    up.emu.finishAll();
    const fresh = await row(other.batch.id);
    await recordBatchState(s.gateway.gw, fresh, await s.gateway.gw.providers.for(fresh.deploymentId).getBatch(fresh.providerBatchId), em());
    const copies = await Promise.all(Array.from({ length: 5 }, () => row(other.batch.id)));
    const outcomes = await Promise.all(copies.map((c) => recordBatchCost(s.gateway.gw, { ...c, costRecorded: false } as ManagedBatch)));
    expect(outcomes.filter((o) => o === 'recorded').length).toBeLessThanOrEqual(1);
    expect(outcomes.filter((o) => o === 'already_recorded').length).toBeGreaterThanOrEqual(4);
    await settled(other.batch.id);
    expect(await em().count(SpendRecord, { batchId: other.batch.id })).toBe(1);
    expect(await spendOf(key.id)).toBeCloseTo(2 * cost, 15);
    expect(events('batch_finished', other.batch.id)).toHaveLength(1);
  });

  it('refuses uploads and batch creates (429 budget_exceeded) once a key or its team reached max_budget', async () => {
    const expensive = chatJsonl(2, 'gpt-4o-batch', 'budget');
    const cost = costAt(expectedChatUsage(expensive));
    const team = await newTeam(cost * 1.5);
    const key = await newKey({ team_id: team, max_budget: cost / 2 });
    const spare = await key.client.files.create({
      file: await toFile(Buffer.from(chatJsonl(1)), 'spare.jsonl'),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
    const { batch } = await uploadAndCreate(key.client, expensive);
    (await upstream(batch.id)).emu.finishAll();
    await settled(batch.id);
    expect(await spendOf(key.id)).toBeCloseTo(cost, 15);

    const refusal = (err: unknown) => {
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      const e = err as InstanceType<typeof OpenAI.RateLimitError>;
      expect(e.status).toBe(429);
      expect(e.code).toBe('budget_exceeded');
      return e.message;
    };
    const uploadErr = await key.client.files
      .create({
        file: await toFile(Buffer.from(chatJsonl(1)), 'more.jsonl'),
        purpose: 'batch',
        target_model_names: 'gpt-4o-batch',
      } as never)
      .catch((e) => e);
    expect(refusal(uploadErr)).toMatch(/^429 Budget exceeded: key spend \$[0-9.e-]+ has reached max_budget \$[0-9.e-]+$/);
    const createErr = await key.client.batches
      .create({ input_file_id: spare.id, endpoint: '/v1/chat/completions', completion_window: '24h' })
      .catch((e) => e);
    refusal(createErr);
    // Reading is still allowed.
    expect((await key.client.batches.retrieve(batch.id)).status).toBe('completed');

    // A second key of the same team, under its own budget, is stopped by the team's once the team has spent it.
    const teammate = await newKey({ team_id: team });
    const second = await uploadAndCreate(teammate.client, expensive);
    (await upstream(second.batch.id)).emu.finishAll();
    await settled(second.batch.id);
    expect(await teamSpend(team)).toBeCloseTo(2 * cost, 15);
    const teamErr = await teammate.client.batches
      .create({ input_file_id: second.file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })
      .catch((e) => e);
    expect(refusal(teamErr)).toMatch(/team spend/);
    // The master key has no budget.
    await s.client.files.create({
      file: await toFile(Buffer.from(chatJsonl(1)), 'admin.jsonl'),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
  });

  it('lists spend logs for the master key only, filtered by key, team, batch and dates', async () => {
    const team = await newTeam();
    const key = await newKey({ team_id: team });
    const other = await newKey();
    const jsonl = chatJsonl(2, 'gpt-4o-batch', 'logs');
    const a = await uploadAndCreate(key.client, jsonl);
    const b = await uploadAndCreate(other.client, jsonl);
    for (const id of [a.batch.id, b.batch.id]) (await upstream(id)).emu.finishAll();
    await settled(a.batch.id);
    await settled(b.batch.id);

    const logs = async (query: string, token = MASTER_KEY) =>
      fetch(`${s.url}/spend/logs${query}`, { headers: { authorization: `Bearer ${token}` } });
    const byKey = (await (await logs(`?api_key=${key.id}`)).json()) as Record<string, unknown>[];
    expect(byKey).toHaveLength(1);
    const expected = expectedChatUsage(jsonl);
    expect(byKey[0]).toMatchObject({
      request_id: a.batch.id,
      batch_id: a.batch.id,
      api_key: key.id,
      team_id: team,
      model_group: 'gpt-4o-batch',
      requests: 2,
      failed_requests: 0,
      prompt_tokens: expected.input,
      completion_tokens: expected.output,
      total_tokens: expected.input + expected.output,
    });
    expect(byKey[0].spend as number).toBeCloseTo(costAt(expected), 15);
    expect(await (await logs(`?api_key=${key.secret}`)).json()).toEqual(byKey);
    expect(await (await logs(`?team_id=${team}`)).json()).toEqual(byKey);
    expect(((await (await logs(`?batch_id=${b.batch.id}`)).json()) as { api_key: string }[]).map((r) => r.api_key)).toEqual([other.id]);
    const today = new Date().toISOString().slice(0, 10);
    const all = (await (await logs(`?start_date=${today}&end_date=${today}`)).json()) as { batch_id: string }[];
    expect(all.map((r) => r.batch_id)).toEqual(expect.arrayContaining([a.batch.id, b.batch.id]));
    expect(await (await logs('?start_date=2001-01-01&end_date=2001-01-02')).json()).toEqual([]);
    expect((await logs('?start_date=yesterday')).status).toBe(400);
    const forbidden = await logs('', key.secret);
    expect(forbidden.status).toBe(403);
    // The same operation through the tRPC router.
    const { createCaller } = await import('../../src/api/router.js');
    const { createContext } = await import('../../src/api/trpc.js');
    const viaRouter = await createCaller(createContext(s.gateway.gw, MASTER_KEY)).spend.logs({ batch_id: a.batch.id });
    expect(viaRouter).toEqual(byKey);
  });

  it('exposes Prometheus metrics: batches by status, uploads, upstream latency and errors, spend by group', async () => {
    const key = await newKey();
    const { batch } = await uploadAndCreate(key.client, chatJsonl(2, 'gpt-4o-batch', 'metrics'));
    const { emu, raw } = await upstream(batch.id);
    emu.injectFault({ method: 'GET', path: /\/batches\//, status: 503, times: 1 });
    emu.finishAll();
    await settled(batch.id);
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    expect(value(/^sluice_batches\{status="completed",model_group="gpt-4o-batch"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^sluice_files_uploaded_total\{model_group="gpt-4o-batch"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^sluice_file_upload_bytes_total\{model_group="gpt-4o-batch"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^sluice_batches_finished_total\{model_group="gpt-4o-batch",status="completed"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    const deployment = (await row(batch.id)).deploymentId;
    expect(
      value(
        new RegExp(
          `^sluice_upstream_request_duration_seconds_count\\{deployment="${deployment}",method="GET",route="/batches/\\{id\\}",status="200"\\} (\\d+)$`,
          'm',
        ),
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(
        new RegExp(
          `^sluice_upstream_errors_total\\{deployment="${deployment}",method="GET",route="/batches/\\{id\\}",status="503"\\} (\\d+)$`,
          'm',
        ),
      ),
    ).toBeGreaterThanOrEqual(1);
    const spent = await em().find(SpendRecord, { modelGroup: 'gpt-4o-batch' });
    const total = spent.reduce((n, r) => n + Number(r.cost), 0);
    expect(value(/^sluice_spend_usd\{model_group="gpt-4o-batch"\} ([0-9.e-]+)$/m)).toBeCloseTo(total, 12);
  });

  it('logged no warning or error along the way (other than the webhook retries the receiver asked for)', () => {
    const problems = s.logs.map((l) => JSON.parse(l)).filter((e) => e.level >= 40 && e.event !== 'webhook_retry');
    expect(problems).toEqual([]);
  });
});
