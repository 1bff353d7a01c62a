import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const children: ChildProcess[] = [];
// Never leave a child holding ports behind a failed test.
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

/** `npm start`'s entry point as a real process: config errors, readiness, clean SIGTERM. */
function startMain(configPath: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'src/main.ts', '--config', configPath, '--port', '0', '--grpc-port', '0'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/[^\s,]+)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`exited early: ${out}`));
    });
  });
  url.catch(() => undefined); // a process expected to fail never prints a URL
  children.push(child);
  return { child, url, exited, output: () => out };
}

describe('the sluice process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-proc-'));

  it('starts on SQLite, answers readiness, and exits 0 on SIGTERM', async () => {
    const config = join(dir, 'ok.yaml');
    writeFileSync(config, 'model_list:\n  - model_name: g\n    litellm_params: { model: openai/gpt-4o-mini, api_key: os.environ/K, api_base: "http://127.0.0.1:9/v1" }\ngeneral_settings: { master_key: mk }\n');
    const p = startMain(config, { K: 'secret', DATABASE_URL: join(dir, 'db.sqlite') });
    const url = await p.url;
    expect((await fetch(`${url}/health/readiness`)).status).toBe(200);
    expect((await fetch(`${url}/health/liveliness`)).status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('refuses to start on a config error and names the path', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'model_list:\n  - model_name: g\n    litellm_params: { model: azure/a, api_base: "https://a", api_key: k }\n  - model_name: g\n    litellm_params: { model: azure/b, api_base: "https://b", api_key: os.environ/AZURE_API_KEY_2 }\n');
    const p = startMain(config, {});
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain('model_list[1].litellm_params.api_key: environment variable AZURE_API_KEY_2 is not set');
  });
});
