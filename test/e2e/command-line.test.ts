import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { killAllStarted, npmStart } from '../support/npm-start.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
const MASTER = 'sk-cli-master';

function config(name: string, generalSettings: Record<string, unknown>): string {
  const path = join(dir, `${name}.yaml`);
  const doc = {
    model_list: [{ model_name: 'g', litellm_params: { model: 'openai/gpt-4o-mini', api_key: 'k', api_base: 'http://127.0.0.1:9/v1' } }],
    general_settings: generalSettings,
  };
  writeFileSync(path, stringify(doc));
  return path;
}

const withKey = config('with-key', { master_key: MASTER });
const withoutKey = config('without-key', {});
const sqlite = (name: string) => join(dir, `${name}.sqlite`);

let busy: Server;
let busyPort: number;
beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(() => {
  killAllStarted();
  busy.close();
});

let refusals = 0;

/** What a refused start must look like: exit code 2 and one line on stderr, no stack trace. */
async function refusal(args: string[], env: Record<string, string> = {}): Promise<string> {
  // A database of its own: two starts migrating one new SQLite file at once would wait on each other's lock.
  const run = npmStart(args, { DATABASE_URL: sqlite(`refused-${++refusals}`), ...env });
  const { code } = await run.exited;
  const lines = run
    .stderr()
    .split('\n')
    .filter((l) => l.trim() !== '');
  expect({ code, lines }).toMatchObject({ code: 2, lines: [expect.stringMatching(/^sluice: /)] });
  expect(run.stderr()).not.toMatch(/\n\s+at /);
  expect(run.stdout()).not.toContain('listening');
  return lines[0];
}

describe('npm start -- <command line>', () => {
  // Each case is a real `npm start` (a few seconds apiece here): they run side by side.
  it.concurrent.each([
    { args: ['--port', 'abc'], says: /--port <port>' argument 'abc' is invalid. A port is a whole number from 0 to 65535/ },
    { args: ['--port', '99999'], says: /'99999' is invalid/ },
    { args: ['--port', '-5'], says: /'-5' is invalid/ },
    { args: ['--port', ''], says: /--port <port>' argument '' is invalid/ },
    { args: ['--grpc-port', 'abc'], says: /--grpc-port <port>' argument 'abc' is invalid/ },
    { args: ['--grpc-port', '-2'], says: /--grpc-port <port>' argument '-2' is invalid/ },
    { args: ['--bogus'], says: /unknown option '--bogus'/ },
    { args: ['stray'], says: /too many arguments.*stray/ },
    { args: ['--host', 'not a host!'], says: /--host <host>' argument 'not a host!' is invalid/ },
    { args: ['--log-level', 'loud'], says: /Allowed choices are fatal, error/ },
    { args: ['--drain-seconds', 'soon'], says: /--drain-seconds <seconds>' argument 'soon' is invalid/ },
  ])('$args: one line and exit code 2', async ({ args, says }) => {
    expect(await refusal(['--config', withKey, ...args])).toMatch(says);
  });

  it('PORT=abc in the environment: one line naming PORT and exit code 2', async () => {
    expect(await refusal(['--config', withKey], { PORT: 'abc' })).toMatch(/value 'abc' from env 'PORT' is invalid/);
  });

  it('--help prints the usage and exits 0', async () => {
    const run = npmStart(['--help']);
    expect((await run.exited).code).toBe(0);
    expect(run.stdout()).toMatch(/^Usage: npm start -- \[options\]/m);
    for (const option of ['--config', '--port', '--host', '--grpc-port', '--no-auth', '--drain-seconds', 'DATABASE_URL'])
      expect(run.stdout()).toContain(option);
    expect(run.stderr()).toBe('');
  });

  it('a port in use (HTTP or gRPC): one line naming the address and exit code 2', async () => {
    const [http, grpc] = await Promise.all([
      refusal(['--config', withKey, '--port', String(busyPort), '--grpc-port', '-1']),
      refusal(['--config', withKey, '--port', '0', '--grpc-port', String(busyPort)]),
    ]);
    expect(http).toBe(`sluice: cannot listen for HTTP on 127.0.0.1:${busyPort}: the port is already in use (EADDRINUSE)`);
    expect(grpc).toBe(`sluice: cannot listen for gRPC on 127.0.0.1:${busyPort}: the port is already in use (EADDRINUSE)`);
  });

  it('a host that is not this machine: one line and exit code 2', async () => {
    // 192.0.2.1 is TEST-NET-1: a valid address that no machine here has.
    expect(await refusal(['--config', withKey, '--host', '192.0.2.1', '--port', '0'])).toBe(
      'sluice: cannot listen for HTTP on 192.0.2.1:0: this machine has no such address (EADDRNOTAVAIL)',
    );
  });

  it('an unreachable PostgreSQL: one line, without the password, and exit code 2', async () => {
    const line = await refusal(['--config', withKey, '--port', '0'], { DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/x' });
    expect(line).toBe('sluice: cannot open the database postgres://postgres:***@127.0.0.1:1/x: connection refused (ECONNREFUSED)');
  });

  it('a config without general_settings.master_key is refused unless --no-auth', async () => {
    expect(await refusal(['--config', withoutKey, '--port', '0'])).toMatch(
      /^sluice: config error: general_settings\.master_key: not set.*--no-auth/,
    );
  });

  it('a config error stays one line naming the path, exit code 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'model_list:\n  - model_name: g\n    litellm_params: { model: azure/a, api_base: "https://a", api_key: os.environ/AZURE_API_KEY_2 }\n',
    );
    expect(await refusal(['--config', bad])).toBe(
      'sluice: config error: model_list[0].litellm_params.api_key: environment variable AZURE_API_KEY_2 is not set',
    );
  });

  it('--grpc-port -1, written as the README writes it, starts without gRPC', async () => {
    const run = npmStart(['--config', withKey, '--port', '0', '--grpc-port', '-1'], { DATABASE_URL: sqlite('no-grpc') });
    const url = await run.url;
    expect(run.grpcAddress()).toBeUndefined();
    expect((await fetch(`${url}/health/liveliness`)).status).toBe(200);
    run.signal('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('--no-auth: starts without a master key, warns loudly, and every call without a valid key is the admin', async () => {
    const run = npmStart(['--config', withoutKey, '--no-auth', '--port', '0', '--grpc-port', '-1'], { DATABASE_URL: sqlite('no-auth') });
    const url = await run.url;
    expect(run.stdout()).toMatch(/listening on .*AUTHENTICATION OFF \(--no-auth\)/);
    // pino writes asynchronously: a line logged before the listening line (printed synchronously) may still be
    // on its way, e.g. behind the stale-spools line a fresh process logs when another test left spools behind.
    const warned = () => run.logs().some((l) => l.event === 'authentication_disabled');
    for (let waited = 0; !warned() && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(run.logs()).toContainEqual(expect.objectContaining({ event: 'authentication_disabled', level: 40 }));
    // No key, or an unknown one: the admin, who may make a team and a key.
    expect((await fetch(`${url}/v1/models`)).status).toBe(200);
    const team = await fetch(`${url}/team/new`, {
      method: 'POST',
      headers: { authorization: 'Bearer whatever', 'content-type': 'application/json' },
      body: JSON.stringify({ team_alias: 't' }),
    });
    expect(team.status).toBe(200);
    const key = (await (
      await fetch(`${url}/key/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    ).json()) as { key: string };
    // A valid virtual key still acts as itself: not the admin.
    const asKey = await fetch(`${url}/key/list`, { headers: { authorization: `Bearer ${key.key}` } });
    expect(asKey.status).toBe(403);
    run.signal('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });
});
