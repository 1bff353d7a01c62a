import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartHead, rawExchange, TRUNCATED_FORM } from '../support/raw-http.js';
import { spawnSluice, writeConfig, type SluiceProcess } from '../support/sluice-process.js';

const MASTER = 'sk-master-hostile-0123456789';
const NOWHERE = 'http://127.0.0.1:9'; // nothing listens: these requests must be refused before any provider call

/**
 * Requests from a key holder that once ended the whole process. They run against the real process (as
 * `npm start` runs it) so that an uncaught error shows as a dead process, not as a test-runner warning.
 */
describe('hostile requests leave the process running', () => {
  let p: SluiceProcess;
  let key: string;
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-hostile-tmp-'));

  beforeAll(async () => {
    const config = writeConfig({
      model_list: [
        {
          model_name: 'gpt-4o-batch',
          litellm_params: { model: 'azure/gpt-4o', api_base: NOWHERE, api_key: 'k', api_version: '2024-10-21' },
        },
      ],
      general_settings: { master_key: MASTER },
      files_settings: [
        { custom_llm_provider: 'azure', api_base: NOWHERE, api_key: 'k', api_version: '2024-10-21' },
        { custom_llm_provider: 'openai', api_base: `${NOWHERE}/v1`, api_key: 'k' },
      ],
    });
    p = await spawnSluice(config, join(tmp, 'sluice.sqlite'), { TMPDIR: tmp });
    const res = await fetch(`${p.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allow_provider_routes: true }),
    });
    key = ((await res.json()) as { key: string }).key;
  });
  afterAll(async () => {
    await p?.kill();
  });

  async function expectAlive() {
    expect(p.exitCode()).toBeNull();
    expect((await fetch(`${p.url}/health/liveliness`)).status).toBe(200);
  }

  it.each(['/v1/files', '/files', '/openai/files', '/azure/v1/files', '/openai/v1/files'])(
    'a multipart body that ends inside the file part, on %s → 400',
    async (path) => {
      const res = await rawExchange(p.url, multipartHead(path, key, Buffer.byteLength(TRUNCATED_FORM)) + TRUNCATED_FORM);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_multipart' });
      await expectAlive();
    },
  );

  it('a Content-Length shorter than the body → 400', async () => {
    const whole = `${TRUNCATED_FORM}"}\r\n--XX--\r\n`;
    const res = await rawExchange(p.url, multipartHead('/v1/files', key, Buffer.byteLength(TRUNCATED_FORM)) + whole);
    expect(res.status).toBe(400);
    await expectAlive();
  });

  it('broken chunked framing inside the file part', async () => {
    const chunk = `${Buffer.byteLength(TRUNCATED_FORM).toString(16)}\r\n${TRUNCATED_FORM}\r\n`;
    const res = await rawExchange(p.url, `${multipartHead('/v1/files', key, 'chunked')}${chunk}zz-not-a-chunk-size\r\n\r\n`);
    expect([0, 400]).toContain(res.status); // the HTTP parser's own 400, or a closed connection
    await expectAlive();
  });

  it('clients that disconnect part-way through an upload, 60 times at different points', async () => {
    const lines = Array.from({ length: 400 }, (_, i) =>
      JSON.stringify({
        custom_id: `r${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o-batch', messages: [{ role: 'user', content: 'hi' }] },
      }),
    );
    const form = `--XX\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--XX\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n${lines.join('\n')}`;
    for (let i = 0; i < 60; i++) {
      const cut = Math.floor((form.length * i) / 60);
      const socket = connect(Number(new URL(p.url).port), '127.0.0.1');
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      socket.write(multipartHead('/v1/files', key, form.length + 1000) + form.slice(0, cut));
      await new Promise((r) => setTimeout(r, i % 7)); // sometimes gone at once, sometimes while the spool reads
      socket.destroy();
    }
    await new Promise((r) => setTimeout(r, 300));
    await expectAlive();
  });

  it('leaves no spool behind', async () => {
    // Removing a spool is asynchronous: give it time with a wide margin, but a spool that is never removed fails.
    const spools = () => readdirSync(tmp).filter((name) => name.startsWith('sluice-'));
    for (let waited = 0; spools().length > 0 && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(spools()).toEqual([]);
  });
});

describe('a process starting after a crash', () => {
  it("removes the spool folders of processes that no longer run, and keeps live ones'", async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sluice-restart-tmp-'));
    const dead = 'sluice-spool-4194304-abcDEF'; // above any pid the kernel hands out by default
    const legacy = 'sluice-raw-Xy12zz'; // named before pids were recorded
    const live = `sluice-spool-${process.pid}-abcdef`; // the test runner is alive
    for (const name of [dead, legacy, live]) mkdirSync(join(tmp, name, 'x'), { recursive: true });
    const config = writeConfig({
      model_list: [{ model_name: 'g', litellm_params: { model: 'openai/gpt-4o-mini', api_key: 'k', api_base: `${NOWHERE}/v1` } }],
      general_settings: { master_key: MASTER },
    });
    const p = await spawnSluice(config, join(tmp, 'sluice.sqlite'), { TMPDIR: tmp });
    try {
      expect(readdirSync(tmp).filter((n) => n.startsWith('sluice-'))).toEqual([live]);
      expect(p.logs.some((l) => l.event === 'stale_spools_removed' && l.count === 2)).toBe(true);
    } finally {
      await p.kill();
    }
  });
});
