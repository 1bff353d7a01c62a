import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadInput } from '../../src/api/upload-fields.js';
import { createCaller } from '../../src/api/router.js';
import { createContext } from '../../src/api/trpc.js';
import { GatewayError } from '../../src/domain/errors.js';
import { grpcUpload } from '../../src/transports/grpc/upload-source.js';
import { formUpload } from '../../src/transports/trpc/streams/form-upload.js';
import { framedUpload } from '../../src/transports/trpc/streams/framed-upload.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';

/** An upload's fields as a caller writes them, in OpenAI's names. */
interface Fields {
  filename?: string;
  purpose?: string;
  target_model_names?: string[];
  expires_after?: { anchor: string; seconds: number };
}

async function* bytes(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

/**
 * The same fields as each transport's adapter delivers them to the router (REST's multipart is exercised on the
 * wire by test/e2e/bad-input.test.ts): all end in the router's one schema, so all must be refused alike.
 */
const ADAPTERS: Record<string, (f: Fields, content: string) => Promise<UploadInput> | UploadInput> = {
  'router input': (f, content) => ({ content: bytes(content), fields: async () => f }),
  'tRPC stream': (f, content) => framedUpload(bytes(`${JSON.stringify(f)}\n`, content)),
  'tRPC form': (f, content) => {
    const form = new FormData();
    if (f.purpose !== undefined) form.set('purpose', f.purpose);
    for (const name of f.target_model_names ?? []) form.append('target_model_names', name);
    if (f.expires_after) {
      form.set('expires_after[anchor]', f.expires_after.anchor);
      form.set('expires_after[seconds]', String(f.expires_after.seconds));
    }
    form.set('file', new Blob([content]), f.filename ?? 'form.jsonl');
    return formUpload(form);
  },
  gRPC: (f, content) =>
    grpcUpload(
      (async function* () {
        yield {
          metadata: {
            filename: f.filename ?? '',
            purpose: f.purpose ?? '',
            targetModelNames: f.target_model_names ?? [],
            expiresAfter: f.expires_after,
          },
        };
        yield { chunk: Buffer.from(content) };
      })(),
      new AbortController().signal,
    ),
};

/**
 * Upload field validation at the router (createCaller, as REST and gRPC call it; tRPC's upload procedures call
 * it too): the transports hand over the fields unchecked, and the router's schema, then the domain's rules,
 * decide. One schema, so every adapter gets the same kind, param and code, and no provider is called.
 */
describe('upload fields, checked once by the router', () => {
  let s: Stack;
  let teamKey: string;
  const as = (token: string) => createCaller(createContext(s.gateway.gw, token));
  const posts = () => [s.east, s.west, s.openai].flatMap((e) => e.requests.filter((r) => r.method === 'POST')).length;
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    if (err === null) return 'accepted';
    const g = GatewayError.from(err);
    if (g.kind === 'internal') throw err;
    return { kind: g.kind, param: g.param, code: g.code };
  };

  beforeAll(async () => {
    s = await startStack({ db: 'sqlite', tracker: false });
    const admin = as(MASTER_KEY);
    const team = await admin.teams.create({ models: ['gpt-4o-batch'] });
    teamKey = (await admin.keys.generate({ team_id: team.team_id })).key;
  });
  afterAll(async () => {
    await s?.close();
  });

  const CASES: [string, Fields, string, object][] = [
    ['a purpose other than batch', { purpose: 'fine-tune' }, chatJsonl(1), { kind: 'invalid_request', param: 'purpose' }],
    ['no purpose', {}, chatJsonl(1), { kind: 'invalid_request', param: 'purpose', code: 'invalid_value' }],
    [
      'an unknown model group',
      { purpose: 'batch', target_model_names: ['no-such-group'] },
      chatJsonl(1),
      { kind: 'invalid_request', param: 'target_model_names', code: 'model_not_found' },
    ],
    [
      "a group the key's team may not use",
      { purpose: 'batch', target_model_names: ['gpt-4o-mini-batch'] },
      chatJsonl(1, 'gpt-4o-mini-batch'),
      { kind: 'permission', param: 'target_model_names', code: 'model_not_allowed' },
    ],
    [
      'an expiry under an hour',
      { purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 5 } },
      chatJsonl(1),
      { kind: 'invalid_request', param: 'expires_after.seconds', code: 'invalid_value' },
    ],
    [
      'an expiry anchored elsewhere',
      { purpose: 'batch', expires_after: { anchor: 'last_active_at', seconds: 86_400 } },
      chatJsonl(1),
      { kind: 'invalid_request', param: 'expires_after.anchor', code: 'invalid_value' },
    ],
    [
      'a filename of blanks',
      { filename: '   ', purpose: 'batch' },
      chatJsonl(1),
      { kind: 'invalid_request', param: 'filename', code: 'invalid_value' },
    ],
  ];

  for (const [what, fields, content, expected] of CASES) {
    it(`refuses ${what} the same way from every adapter, before any provider call`, async () => {
      const before = posts();
      for (const [name, adapt] of Object.entries(ADAPTERS)) {
        // gRPC cannot send a blank filename apart from none (proto3), so it is left out of that case.
        if (name === 'gRPC' && fields.filename?.trim() === '') continue;
        expect(await refusal(as(teamKey).files.upload(await adapt(fields, content))), `${what} via ${name}`).toMatchObject(expected);
      }
      expect(posts()).toBe(before);
    });
  }

  it('accepts the same good fields from every adapter: defaults, comma lists, an expiry given as text', async () => {
    for (const [name, adapt] of Object.entries(ADAPTERS)) {
      const file = await as(teamKey).files.upload(
        await adapt(
          { purpose: 'batch', target_model_names: ['gpt-4o-batch'], expires_after: { anchor: 'created_at', seconds: 86_400 } },
          chatJsonl(2),
        ),
      );
      expect(file, name).toMatchObject({ object: 'file', purpose: 'batch', bytes: Buffer.byteLength(chatJsonl(2)) });
      expect((file.expires_at ?? 0) - file.created_at, name).toBe(86_400);
    }
    const listed = await as(teamKey).files.upload({
      content: bytes(chatJsonl(1)),
      fields: async () => ({
        purpose: 'batch',
        target_model_names: 'gpt-4o-batch, gpt-4o-batch',
        expires_after: { anchor: 'created_at', seconds: '7200' },
      }),
    });
    expect(listed).toMatchObject({ filename: 'upload.jsonl' });
    expect((listed.expires_at ?? 0) - listed.created_at).toBe(7200);
  });

  it('checks fields that come before the file at once, before any of the content is read', async () => {
    let pulled = false;
    const content = (async function* () {
      pulled = true;
      yield Buffer.from(chatJsonl(1));
    })();
    expect(
      await refusal(
        as(teamKey).files.upload({ content, fields: { purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 1 } } }),
      ),
    ).toMatchObject({ param: 'expires_after.seconds' });
    expect(pulled).toBe(false);
  });

  // The domain's rules on fields (purpose, groups that exist and that the caller may use) too: a caller who sends
  // its fields first is refused before its file is read, not after 200 MB.
  for (const [what, fields, expected] of [
    ['a purpose other than batch', { purpose: 'fine-tune' }, { param: 'purpose' }],
    ['an unknown group', { purpose: 'batch', target_model_names: ['no-such-group'] }, { code: 'model_not_found' }],
    ['a group the team may not use', { purpose: 'batch', target_model_names: ['gpt-4o-mini-batch'] }, { code: 'model_not_allowed' }],
  ] as const) {
    it(`refuses ${what} sent before the file without reading any of it`, async () => {
      let pulled = false;
      const content = (async function* () {
        pulled = true;
        yield Buffer.from(chatJsonl(1));
      })();
      expect(await refusal(as(teamKey).files.upload({ content, fields: { ...fields } }))).toMatchObject(expected);
      expect(pulled).toBe(false);
    });
  }

  it('asks for late fields only after the content, so a form may send its file first', async () => {
    const order: string[] = [];
    const file = await as(teamKey).files.upload({
      content: (async function* () {
        yield Buffer.from(chatJsonl(1));
        order.push('content read');
      })(),
      fields: async () => {
        order.push('fields asked');
        return { purpose: 'batch' };
      },
    });
    expect(file.object).toBe('file');
    expect(order).toEqual(['content read', 'fields asked']);
  });

  it('refuses an input that is not an upload (a JSON call to files.upload) as a 400', async () => {
    const notAStream = { content: 'not a stream', fields: { purpose: 'batch' } } as unknown as UploadInput;
    expect(await refusal(as(teamKey).files.upload(notAStream))).toMatchObject({ kind: 'invalid_request', param: 'content' });
  });
});
