import { readdirSync, readFileSync } from 'node:fs';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient } from '../../clients/grpc/index.js';
import { createTestDatabase } from '../../dev/databases.js';
import { startOpenAIEmulator, type ProviderEmulator } from '../../dev/emulators/index.js';
import { chatJsonl } from '../../dev/emulated-stack.js';
import { killAllStarted, npmStart, type NpmStart } from '../support/npm-start.js';
import { writeConfig } from '../support/sluice-process.js';
import { until } from '../support/tracking.js';

/** `npm start -- --workers N` (cli/process-cluster.ts): N gateway processes on one PostgreSQL, one set of ports. */

const MASTER = 'sk-cluster-master';
const PROVIDER_KEY = 'sk-cluster-provider';

let emulator: ProviderEmulator;
beforeAll(async () => {
  emulator = await startOpenAIEmulator({ apiKey: PROVIDER_KEY });
});
afterAll(async () => {
  killAllStarted();
  await emulator.close();
});

const config = (generalSettings: Record<string, unknown> = { master_key: MASTER }) =>
  writeConfig({
    model_list: [
      { model_name: 'g', litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${emulator.url}/v1`, api_key: PROVIDER_KEY } },
    ],
    general_settings: generalSettings,
  });

/** The gateway processes of a run: those running src/main.ts whose parent runs it too (the primary's workers). */
function workerPids(run: NpmStart): number[] {
  const mains = new Map<number, number>(); // pid → parent pid
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      if (Number(stat[2]) !== run.pid) continue; // the process group npm leads
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('src/main.ts')) mains.set(Number(entry), Number(stat[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  return [...mains].filter(([, parent]) => mains.has(parent)).map(([pid]) => pid);
}

async function metric(url: string, pattern: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('npm start -- --workers 2 (PostgreSQL)', () => {
  it('serves REST and gRPC from both workers, counts metrics for the whole cluster, and SIGTERM stops every process', async () => {
    const db = await createTestDatabase('postgresql');
    try {
      const run = npmStart(['--config', config(), '--port', '0', '--grpc-port', '0', '--workers', '2'], { DATABASE_URL: db.url });
      const url = await run.url;
      expect(run.stdout()).toMatch(/^sluice listening on http:\S+, gRPC on \S+ \(database: postgresql, 2 workers\)$/m);
      expect(workerPids(run)).toHaveLength(2);

      // A new connection each time: node:cluster hands connections to the workers in turn.
      const uploads = 6;
      for (let i = 0; i < uploads; i++) {
        const client = new OpenAI({ apiKey: MASTER, baseURL: `${url}/v1`, maxRetries: 0, fetchOptions: { keepalive: false } });
        const file = await client.files.create({
          file: await toFile(Buffer.from(chatJsonl(2, 'g')), 'in.jsonl'),
          purpose: 'batch',
          target_model_names: 'g', // LiteLLM's extension, sent as a form field
        } as never);
        if (i === 0) await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      }
      // Whichever worker answers the scrape: counters summed over the workers, the database's gauges taken once.
      expect(await metric(url, /^sluice_files_uploaded_total\{model_group="g"\} (\d+)$/m)).toBe(uploads);
      expect(await metric(url, /^sluice_batches_created_total\{model_group="g"\} (\d+)$/m)).toBe(1);
      let batches = 0;
      for (const status of ['validating', 'in_progress', 'finalizing', 'completed']) {
        batches += (await metric(url, new RegExp(`^sluice_batches\\{status="${status}",model_group="g"\\} (\\d+)$`, 'm'))) ?? 0;
      }
      expect(batches).toBe(1);

      const grpc = createSluiceGrpcClient(run.grpcAddress()!, MASTER);
      try {
        expect((await grpc.files.listFiles({})).data.length).toBe(uploads);
      } finally {
        grpc.close();
      }

      run.signal('SIGTERM');
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(await run.groupGone()).toBe(true);
    } finally {
      await db.drop();
    }
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const db = await createTestDatabase('postgresql');
    try {
      const run = npmStart(['--config', config(), '--port', '0', '--grpc-port', '-1', '--workers', '2'], { DATABASE_URL: db.url });
      const url = await run.url;
      const [victim] = workerPids(run);
      process.kill(victim, 'SIGKILL');
      await until('a replacement worker', () => run.logs().some((l) => l.event === 'worker_started'), 30_000, 100);
      expect(workerPids(run)).toHaveLength(2);
      expect(workerPids(run)).not.toContain(victim);
      expect(run.logs().find((l) => l.event === 'worker_exited')).toMatchObject({ signal: 'SIGKILL' });
      for (let i = 0; i < 4; i++) expect((await fetch(`${url}/health/readiness`, { keepalive: false })).status).toBe(200);
      run.signal('SIGTERM');
      expect(await run.exited).toEqual({ code: 0, signal: null });
    } finally {
      await db.drop();
    }
  });

  it('with the embedded SQLite database: refused with one line that says why (exit 2)', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const run = npmStart(['--config', config(), '--port', '0', '--workers', '2'], { DATABASE_URL: db.url });
      expect(await run.exited).toEqual({ code: 2, signal: null });
      expect(run.stderr().trim()).toBe(
        'sluice: --workers 2 needs PostgreSQL (DATABASE_URL or general_settings.database_url): the embedded SQLite database is for one process',
      );
    } finally {
      await db.drop();
    }
  });

  it('without a master key: refused once, by the primary, before any worker starts (exit 2, one line)', async () => {
    const db = await createTestDatabase('postgresql');
    try {
      const run = npmStart(['--config', config({}), '--port', '0', '--workers', '2'], { DATABASE_URL: db.url });
      expect(await run.exited).toEqual({ code: 2, signal: null });
      expect(run.stderr().trim().split('\n')).toEqual([
        expect.stringMatching(/^sluice: config error: general_settings\.master_key: not set/),
      ]);
    } finally {
      await db.drop();
    }
  });
});
