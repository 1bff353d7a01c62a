import { once } from 'node:events';
import { request, type ClientRequest } from 'node:http';
import { DatabaseSync } from 'node:sqlite';
import { ClientError, Status } from 'nice-grpc';
import { toFile } from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, createTestDatabase, type DatabaseKind, type TestDatabase } from '../../dev/databases.js';
import { startOpenAIEmulator, type ProviderEmulator } from '../../dev/emulators/index.js';
import { chatJsonl, startEmulatedStack } from '../../dev/emulated-stack.js';
import { createSluiceGrpcClient } from '../../clients/grpc/index.js';
import { createSluiceClient } from '../../clients/trpc/index.js';
import { killAllStarted, npmStart, type NpmStart } from '../support/npm-start.js';
import { writeConfig } from '../support/sluice-process.js';
import { until } from '../support/tracking.js';

const MASTER = 'sk-process-master';
const PROVIDER_KEY = 'sk-process-provider';

let emulator: ProviderEmulator;
beforeAll(async () => {
  emulator = await startOpenAIEmulator({ apiKey: PROVIDER_KEY });
});
afterAll(async () => {
  killAllStarted();
  await emulator.close();
});

function sluiceConfig(generalSettings: Record<string, unknown> = {}): string {
  return writeConfig({
    model_list: [
      { model_name: 'g', litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${emulator.url}/v1`, api_key: PROVIDER_KEY } },
    ],
    general_settings: { master_key: MASTER, ...generalSettings },
  });
}

const JSONL =
  ['a', 'b']
    .map((id) =>
      JSON.stringify({
        custom_id: id,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'g', messages: [{ role: 'user', content: id }] },
      }),
    )
    .join('\n') + '\n';

function form(): Buffer {
  return Buffer.from(
    `--XX\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
      `--XX\r\nContent-Disposition: form-data; name="file"; filename="in.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n${JSONL}\r\n--XX--\r\n`,
  );
}

interface InFlight {
  req: ClientRequest;
  /** Sends the rest of the body and reads the answer. */
  finish(): Promise<{ status: number; body: string }>;
  /** Resolves when the connection closes (e.g. cut by the server). */
  closed: Promise<void>;
}

/**
 * An upload that the server is handling (it answered `100 Continue`, so the request was dispatched) and whose
 * body is only half sent: in flight for exactly as long as the test wants, with no timing involved.
 */
async function uploadInFlight(url: string): Promise<InFlight> {
  const body = form();
  const req = request(`${url}/v1/files`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${MASTER}`,
      'content-type': 'multipart/form-data; boundary=XX',
      'content-length': body.length,
      expect: '100-continue',
    },
  });
  const answered = once(req, 'response');
  answered.catch(() => undefined);
  req.on('error', () => undefined); // a cut connection: what the test looks at is `closed`
  const socket = once(req, 'socket').then(([s]) => s as import('node:net').Socket);
  const closed = socket.then((s) => once(s, 'close').then(() => undefined));
  req.flushHeaders();
  await once(req, 'continue');
  req.write(body.subarray(0, body.length >> 1));
  return {
    req,
    closed,
    async finish() {
      req.end(body.subarray(body.length >> 1));
      const [res] = (await answered) as [import('node:http').IncomingMessage];
      let text = '';
      for await (const chunk of res) text += chunk;
      return { status: res.statusCode!, body: text };
    },
  };
}

/** Resolves once a new connection to `url` is refused: the listener is closed. */
async function refusedSoon(url: string, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      await fetch(`${url}/health/liveliness`, { signal: AbortSignal.timeout(2000) });
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function logged(run: NpmStart, event: string) {
  return run.logs().find((l) => l.event === event);
}

describe('npm start stops cleanly', () => {
  it('SIGTERM to npm: no new connection, the request in flight completes, exit code 0, nothing left behind', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const run = npmStart(['--config', sluiceConfig(), '--port', '0', '--grpc-port', '0'], { DATABASE_URL: db.url });
      const url = await run.url;
      expect((await fetch(`${url}/health/readiness`)).status).toBe(200);
      const upload = await uploadInFlight(url);

      run.signal('SIGTERM');
      expect(await refusedSoon(url)).toBe(true);
      const answer = await upload.finish();
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ object: 'file', id: expect.stringMatching(/^file-/) });

      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(await run.groupGone()).toBe(true);
      expect(logged(run, 'stopped')).toBeDefined();
      expect(logged(run, 'drain_timeout')).toBeUndefined();
    } finally {
      await db.drop();
    }
  });

  it('Ctrl-C (SIGINT to the whole group, and forwarded once more by npm) is one request to stop: it drains too', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const run = npmStart(['--config', sluiceConfig(), '--port', '0', '--grpc-port', '-1'], { DATABASE_URL: db.url });
      const url = await run.url;
      const upload = await uploadInFlight(url);

      run.signal('SIGINT', { group: true });
      expect(await refusedSoon(url)).toBe(true);
      expect((await upload.finish()).status).toBe(200);
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(logged(run, 'stopped_at_once')).toBeUndefined();
      expect(await run.groupGone()).toBe(true);
    } finally {
      await db.drop();
    }
  });

  it('a second SIGTERM exits at once, without waiting for the drain', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const run = npmStart(['--config', sluiceConfig(), '--port', '0', '--grpc-port', '-1', '--drain-seconds', '600'], {
        DATABASE_URL: db.url,
      });
      const url = await run.url;
      const upload = await uploadInFlight(url);
      run.signal('SIGTERM');
      await until('the stop to begin', () => !!logged(run, 'stopping'), 30_000, 50);
      await new Promise((r) => setTimeout(r, 2500)); // past the window in which a repeat is the same Ctrl-C
      run.signal('SIGTERM');
      // 600 s of drain were allowed: exiting at all within the test's time is "at once".
      expect((await run.exited).code).toBe(143);
      await upload.closed;
      expect(logged(run, 'stopped_at_once')).toBeDefined();
      expect(await run.groupGone()).toBe(true);
    } finally {
      await db.drop();
    }
  });

  describe.each(DATABASES)('on %s', (kind) => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase(kind);
    });
    afterAll(async () => {
      emulator.clearFaults();
      await db.drop();
    });

    it('past --drain-seconds what is in flight is cut; the tracker gives its leases back; exit code 0', async () => {
      const config = sluiceConfig({ batch_poll_interval_seconds: 0.2, batch_finalizing_poll_interval_seconds: 0.2 });
      const run = npmStart(['--config', config, '--port', '0', '--grpc-port', '0', '--drain-seconds', '1'], { DATABASE_URL: db.url });
      const url = await run.url;
      const auth = { authorization: `Bearer ${MASTER}` };
      const body = new FormData();
      body.set('purpose', 'batch');
      body.set('file', new Blob([JSONL]), 'in.jsonl');
      const file = (await (await fetch(`${url}/v1/files`, { method: 'POST', headers: auth, body })).json()) as { id: string };
      // Every poll of the provider hangs far longer than the test: the tracker holds its lease while it waits.
      emulator.injectFault({ method: 'GET', path: '/v1/batches/', delayMs: 600_000 });
      const created = await fetch(`${url}/v1/batches`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
      });
      expect(created.status).toBe(200);
      await until('a lease held by a poll in flight', async () => (await leaseOwners(kind, db.url)).some((o) => o !== null), 30_000, 50);
      const stuck = await uploadInFlight(url);

      run.signal('SIGTERM');
      expect(await run.exited).toEqual({ code: 0, signal: null });
      await stuck.closed;
      expect(logged(run, 'drain_timeout')).toBeDefined();
      expect(logged(run, 'tracker_stopped')).toMatchObject({ abandoned: 1 });
      expect(await leaseOwners(kind, db.url)).toEqual([null]);
      expect(await run.groupGone()).toBe(true);
    });
  });
});

describe.each(DATABASES)('close() on %s', (kind) => {
  it('ends running watches at once (gRPC UNAVAILABLE; tRPC SERVICE_UNAVAILABLE, which its client resubscribes on): the drain does not wait for them', async () => {
    const s = await startEmulatedStack({ db: kind });
    const grpc = createSluiceGrpcClient(s.grpcAddress, 'sk-master-test-0123456789');
    try {
      const file = await s.client.files.create({ file: await toFile(Buffer.from(chatJsonl(2)), 'in.jsonl'), purpose: 'batch' });
      const batch = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      const grpcWatch = (async () => {
        for await (const b of grpc.batches.watchBatch({ batchId: batch.id, pollIntervalMs: 100 })) void b;
      })();
      const grpcEnded = grpcWatch.then(
        () => 'completed',
        (err: unknown) => (err instanceof ClientError ? Status[err.code] : String(err)),
      );
      const trpc = createSluiceClient(s.url, 'sk-master-test-0123456789');
      let firstUpdate!: () => void;
      const watching = new Promise<void>((r) => (firstUpdate = r));
      // tRPC's subscription link takes a SERVICE_UNAVAILABLE as "reconnect": the client is told, and watches again.
      const trpcEnded = new Promise<string>((resolve) => {
        const sub = trpc.batches.watch.subscribe(
          { batch_id: batch.id, poll_interval_ms: 100 },
          {
            onData: () => firstUpdate(),
            onConnectionStateChange: (state) => {
              if (state.state !== 'connecting' || !state.error) return;
              resolve((state.error.data as { code?: string } | undefined)?.code ?? state.error.message);
              sub.unsubscribe(); // (which completes it)
            },
            onError: (err) => resolve(`error: ${err.message}`),
            onComplete: () => resolve('completed'),
          },
        );
      });
      await watching;

      // A minute of drain allowed: returning at all within the test's time means nothing waited for the watches.
      await s.gateway.close({ drainMs: 60_000 });
      expect(await grpcEnded).toBe('UNAVAILABLE');
      expect(await trpcEnded).toBe('SERVICE_UNAVAILABLE');
    } finally {
      grpc.close();
      await Promise.all([s.east.close(), s.west.close(), s.openai.close()]);
      await s.db.drop();
    }
  });
});

/** managed_batch.lease_owner of every row, read straight from the database the process used. */
async function leaseOwners(kind: DatabaseKind, url: string): Promise<(string | null)[]> {
  if (kind === 'sqlite') {
    const db = new DatabaseSync(url, { readOnly: true });
    try {
      return (db.prepare('select lease_owner from managed_batch').all() as { lease_owner: string | null }[]).map((r) => r.lease_owner);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ lease_owner: string | null }>('select lease_owner from managed_batch')).rows.map((r) => r.lease_owner);
  } finally {
    await client.end();
  }
}
