/**
 * Load: `--clients` concurrent clients (virtual keys of two teams) mixing uploads, batch creates, retrieves, lists,
 * cancels and deletes for `--duration` seconds against ONE gateway process on PostgreSQL (src/main.ts, as
 * `npm start` runs it, tracker on) with emulated deployments (dev/emulators) in this process.
 *
 *   npm run load -- [--duration 60] [--clients 100]
 *
 * Reports the count per route and status, p50/p99 latency per route, and the gateway's RSS (from /proc) over the
 * run in 10 s windows. Exits 1 on any 5xx, any status a route should never give, any failed request (connection
 * error, timeout), or a gateway that does not stop cleanly (exit code 0) on SIGTERM afterwards.
 * Not part of `npm test`: figures depend on the machine.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { stringify } from 'yaml';
import { createTestDatabase } from '../dev/databases.js';
import { startAzureEmulator, startOpenAIEmulator } from '../dev/emulators/index.js';

const whole = (min: number, max: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`A whole number from ${min} to ${max}.`);
  return Number(v);
};
const opts = new Command('npm run load --')
  .addOption(new Option('--duration <seconds>', 'how long the clients run').default(60).argParser(whole(5, 3600)))
  .addOption(new Option('--clients <n>', 'concurrent clients').default(100).argParser(whole(1, 1000)))
  .addOption(
    new Option('--keys-per-team <n>', 'virtual keys per team (clients share them round-robin)').default(4).argParser(whole(1, 100)),
  )
  .parse()
  .opts<{ duration: number; clients: number; keysPerTeam: number }>();

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MASTER = 'sk-load-master';
const GROUPS = ['gpt-4o-batch', 'gpt-4o-mini-batch'];

/** Every status each route may give under this load; anything else (and every 5xx) fails the run. */
const EXPECTED: Record<string, number[]> = {
  'POST /v1/files': [200],
  'POST /v1/files (bad line)': [400],
  'POST /v1/batches': [200],
  'GET /v1/batches/{id}': [200],
  'GET /v1/batches/{id} (other team)': [404],
  'GET /v1/files/{id}': [200],
  'GET /v1/batches': [200],
  'GET /v1/files': [200],
  'POST /v1/batches/{id}/cancel': [200, 400], // 400: the batch had already finished
  'DELETE /v1/files/{id}': [200],
};

// --- the stack: emulators here, the database, the gateway as a process of its own ------------------------------
// Batches move on while the run lasts, so retrieves, cancels and the tracker meet every state.
const timing = { validatingMs: 2000, inProgressMs: 6000, finalizingMs: 2000, cancellingMs: 1000 };
const east = await startAzureEmulator({ apiKey: 'load-east', deployments: ['gpt-4o-east'], timing });
const west = await startAzureEmulator({ apiKey: 'load-west', deployments: ['gpt-4o-west'], timing });
const openai = await startOpenAIEmulator({ apiKey: 'load-openai', timing });
const db = await createTestDatabase('postgresql');
const dir = mkdtempSync(join(tmpdir(), 'sluice-load-'));
const configPath = join(dir, 'config.yaml');
writeFileSync(
  configPath,
  stringify({
    model_list: [
      {
        model_name: GROUPS[0],
        litellm_params: { model: 'azure/gpt-4o-east', api_base: east.url, api_key: 'load-east', api_version: '2024-10-21' },
        model_info: { id: 'east' },
      },
      {
        model_name: GROUPS[0],
        litellm_params: { model: 'azure/gpt-4o-west', api_base: west.url, api_key: 'load-west', api_version: '2024-10-21' },
        model_info: { id: 'west' },
      },
      {
        model_name: GROUPS[1],
        litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${openai.url}/v1`, api_key: 'load-openai' },
        model_info: { id: 'mini' },
      },
    ],
    general_settings: { master_key: MASTER, batch_poll_interval_seconds: 5, batch_finalizing_poll_interval_seconds: 1 },
  }),
);

const gateway = spawn(
  process.execPath,
  [
    '--experimental-async-context-frame',
    '--disable-warning=ExperimentalWarning',
    '--import',
    'tsx',
    'src/main.ts',
    '--config',
    configPath,
    '--port',
    '0',
    '--grpc-port',
    '-1',
    '--log-level',
    'warn',
  ],
  {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: db.url, MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '67108864' }, // as npm start runs it
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const gatewayExit = once(gateway, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
const logLines: string[] = [];
const url = await new Promise<string>((resolve, reject) => {
  createInterface({ input: gateway.stdout! }).on('line', (line) => {
    const m = /^sluice listening on (http:\/\/\S+?)[\s,]/.exec(`${line} `);
    if (m) resolve(m[1]);
    else logLines.push(line);
  });
  void gatewayExit.then(([code]) => reject(new Error(`the gateway exited with ${code} before listening`)));
});

async function admin(path: string, body: unknown): Promise<Record<string, string>> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, string>;
}
const teams = await Promise.all(['load-a', 'load-b'].map((alias) => admin('/team/new', { team_alias: alias })));
const keys = await Promise.all(
  teams.flatMap((team, t) =>
    Array.from({ length: opts.keysPerTeam }, async () => ({ team: t, key: (await admin('/key/generate', { team_id: team.team_id })).key })),
  ),
);

// --- measurements ----------------------------------------------------------------------------------------------
const stats = new Map<string, { statuses: Map<string, number>; ms: number[] }>();
function record(route: string, status: number | string, ms: number): void {
  const s = stats.get(route) ?? { statuses: new Map<string, number>(), ms: [] as number[] };
  s.statuses.set(String(status), (s.statuses.get(String(status)) ?? 0) + 1);
  s.ms.push(ms);
  stats.set(route, s);
}

const rss: { at: number; bytes: number }[] = [];
const vmRss = () => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${gateway.pid}/status`, 'utf8'))![1]) * 1024;
const started = Date.now();
rss.push({ at: 0, bytes: vmRss() });
const sampler = setInterval(() => rss.push({ at: Date.now() - started, bytes: vmRss() }), 1000);

/** One call: its status (or 'error'/'timeout') and time go to `route`; returns the parsed JSON body on 2xx. */
async function call(
  route: string,
  key: string,
  method: string,
  path: string,
  body?: FormData | object,
): Promise<Record<string, unknown> | null> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}) },
      body: body instanceof FormData ? body : body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    record(route, res.status, performance.now() - t0);
    return res.ok ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch (err) {
    record(route, (err as Error).name === 'TimeoutError' ? 'timeout' : 'error', performance.now() - t0);
    return null;
  }
}

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];
/** Batch IDs made by each team: the other team's clients ask for them and must get 404. */
const teamBatches: string[][] = [[], []];
let uploadSeq = 0;

function jsonl(group: string, lines: number, bad = false): string {
  const n = ++uploadSeq;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const model = bad && i === lines - 1 ? 'no-such-group' : group;
    out.push(
      JSON.stringify({
        custom_id: `u${n}-${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model, messages: [{ role: 'user', content: `load ${n}/${i}` }], max_tokens: 16 },
      }),
    );
  }
  return `${out.join('\n')}\n`;
}

function uploadForm(group: string, content: string): FormData {
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('target_model_names', group);
  form.set('file', new Blob([content]), 'load.jsonl');
  return form;
}

async function client(i: number, until: number): Promise<void> {
  const { key, team } = keys[i % keys.length];
  const files: string[] = [];
  const batches: string[] = [];
  const upload = async () => {
    const group = pick(GROUPS);
    // Mostly small files, now and then a larger one (~200 KB).
    const f = await call(
      'POST /v1/files',
      key,
      'POST',
      '/v1/files',
      uploadForm(group, jsonl(group, Math.random() < 0.05 ? 1500 : 5 + Math.floor(Math.random() * 20))),
    );
    if (f) files.push(f.id as string);
  };
  const ops: [number, () => Promise<void>][] = [
    [14, upload],
    [
      2,
      async () =>
        void (await call('POST /v1/files (bad line)', key, 'POST', '/v1/files', uploadForm(GROUPS[0], jsonl(GROUPS[0], 10, true)))),
    ],
    [
      14,
      async () => {
        if (files.length === 0) return upload();
        const b = await call('POST /v1/batches', key, 'POST', '/v1/batches', {
          input_file_id: pick(files),
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        });
        if (b) {
          batches.push(b.id as string);
          teamBatches[team].push(b.id as string);
        }
      },
    ],
    [20, async () => (batches.length ? void (await call('GET /v1/batches/{id}', key, 'GET', `/v1/batches/${pick(batches)}`)) : upload())],
    [
      4,
      async () =>
        teamBatches[1 - team].length
          ? void (await call('GET /v1/batches/{id} (other team)', key, 'GET', `/v1/batches/${pick(teamBatches[1 - team])}`))
          : upload(),
    ],
    [10, async () => (files.length ? void (await call('GET /v1/files/{id}', key, 'GET', `/v1/files/${pick(files)}`)) : upload())],
    [10, async () => void (await call('GET /v1/batches', key, 'GET', '/v1/batches?limit=20'))],
    [10, async () => void (await call('GET /v1/files', key, 'GET', '/v1/files?limit=20'))],
    [
      5,
      async () => {
        if (batches.length === 0) return upload();
        await call(
          'POST /v1/batches/{id}/cancel',
          key,
          'POST',
          `/v1/batches/${batches.splice(Math.floor(Math.random() * batches.length), 1)[0]}/cancel`,
        );
      },
    ],
    [
      5,
      async () => {
        if (files.length < 2) return upload();
        await call('DELETE /v1/files/{id}', key, 'DELETE', `/v1/files/${files.splice(Math.floor(Math.random() * files.length), 1)[0]}`);
      },
    ],
  ];
  const total = ops.reduce((n, [w]) => n + w, 0);
  while (Date.now() < until) {
    let r = Math.random() * total;
    const op = ops.find(([w]) => (r -= w) < 0)![1];
    await op();
  }
}

const loadBefore = loadavg()[0];
console.log(
  `load: ${opts.clients} clients, ${keys.length} virtual keys in 2 teams, ${opts.duration} s against ${url} (PostgreSQL, gateway pid ${gateway.pid})`,
);
const until = Date.now() + opts.duration * 1000;
await Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i, until)));
const elapsed = (Date.now() - started) / 1000;
clearInterval(sampler);
rss.push({ at: Date.now() - started, bytes: vmRss() });

// --- the clean stop after the load, then the report -------------------------------------------------------------
gateway.kill('SIGTERM');
const [exitCode, exitSignal] = await gatewayExit;
await Promise.all([east.close(), west.close(), openai.close()]);
await db.drop();
rmSync(dir, { recursive: true, force: true });

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const failures: string[] = [];
let requests = 0;
const rows = [...stats.entries()].sort(([a], [b]) => a.localeCompare(b));
console.log(`\n${'route'.padEnd(36)}${'count'.padStart(8)}  ${'statuses'.padEnd(22)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(9)}`);
for (const [route, s] of rows) {
  const sorted = [...s.ms].sort((a, b) => a - b);
  requests += sorted.length;
  const statuses = [...s.statuses.entries()].map(([code, n]) => `${code}×${n}`).join(' ');
  console.log(
    `${route.padEnd(36)}${String(sorted.length).padStart(8)}  ${statuses.padEnd(22)}${quantile(sorted, 0.5).toFixed(0).padStart(8)}${quantile(sorted, 0.99).toFixed(0).padStart(9)}`,
  );
  for (const [code, n] of s.statuses) {
    if (!EXPECTED[route]?.includes(Number(code))) failures.push(`${route}: ${n} × ${code}`);
  }
}
console.log(`\n${requests} requests in ${elapsed.toFixed(1)} s: ${(requests / elapsed).toFixed(0)} requests/s`);
// Figures mean little on a busy machine: say how busy it was (1-minute load average, before and after).
console.log(`machine: ${(loadBefore).toFixed(1)} → ${loadavg()[0].toFixed(1)} load average on ${availableParallelism()} cores`);

const mb = (b: number) => (b / 1048576).toFixed(0);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const windows: string[] = [];
for (let t = 0; t < elapsed * 1000; t += 10_000) {
  const inWindow = rss.filter((r) => r.at >= t && r.at < t + 10_000).map((r) => r.bytes);
  if (inWindow.length) windows.push(`${t / 1000}-${Math.min(elapsed, t / 1000 + 10).toFixed(0)} s: ${mb(mean(inWindow))}`);
}
const first = mean(rss.filter((r) => r.at < 10_000).map((r) => r.bytes));
const last = mean(rss.filter((r) => r.at >= elapsed * 1000 - 10_000).map((r) => r.bytes));
console.log(`gateway RSS (MB, mean per 10 s): ${windows.join(' | ')}`);
console.log(
  `gateway RSS: first 10 s ${mb(first)} MB, last 10 s ${mb(last)} MB (×${(last / first).toFixed(2)}), peak ${mb(Math.max(...rss.map((r) => r.bytes)))} MB`,
);
const logged = logLines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; event?: string; msg?: string });
const errors = logged.filter((l) => l.level >= 50);
console.log(
  `gateway log: ${logged.length} lines at warn or above, ${errors.length} errors${errors.length ? `: ${[...new Set(errors.map((e) => e.event ?? e.msg))].join(', ')}` : ''}`,
);
console.log(`gateway stop on SIGTERM: exit code ${exitCode}${exitSignal ? `, signal ${exitSignal}` : ''}`);
if (exitCode !== 0) failures.push(`the gateway exited with ${exitCode ?? exitSignal} on SIGTERM`);

if (failures.length) {
  console.log(`\nFAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('\nOK: no 5xx, no unexpected status, no failed request; clean stop');
process.exit(0);
