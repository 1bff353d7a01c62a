import { initTRPC, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { describe, expect, it } from 'vitest';
import { ERROR_KINDS, GatewayError, internalError, uploadCancelled, type ErrorKind } from '../../src/domain/errors.js';

const KINDS = Object.keys(ERROR_KINDS) as ErrorKind[];
/** The `type`s OpenAI's API sends (openai-node src/core/error.ts maps statuses, these are the bodies' words). */
const OPENAI_TYPES = ['invalid_request_error', 'authentication_error', 'permission_error', 'rate_limit_error', 'server_error'];

describe('the error table', () => {
  it('gives every kind an HTTP status, a gRPC code, a tRPC code and an OpenAI type, 4xx for the caller’s mistakes', () => {
    const callers: ErrorKind[] = [
      'invalid_request',
      'authentication',
      'permission',
      'not_found',
      'timeout',
      'conflict',
      'payload_too_large',
      'rate_limited',
    ];
    for (const kind of KINDS) {
      const row = ERROR_KINDS[kind];
      expect(row.http >= 400 && row.http < 600, kind).toBe(true);
      expect(Number.isInteger(row.grpc) && row.grpc > 0 && row.grpc <= 16, kind).toBe(true);
      expect(OPENAI_TYPES, kind).toContain(row.openaiType);
      expect(row.http < 500, kind).toBe(callers.includes(kind));
    }
  });

  it("names tRPC codes whose own HTTP status is the row's, one code per kind", () => {
    for (const kind of KINDS) {
      expect(getHTTPStatusCodeFromError(new TRPCError({ code: ERROR_KINDS[kind].trpc })), kind).toBe(ERROR_KINDS[kind].http);
    }
    expect(new Set(KINDS.map((k) => ERROR_KINDS[k].trpc)).size).toBe(KINDS.length);
  });

  it('bounds what a message can grow to', () => {
    expect(new GatewayError('invalid_request', 'x'.repeat(50_000)).message.length).toBeLessThanOrEqual(1001);
  });
});

describe('GatewayError.from', () => {
  it('returns a GatewayError as it is', () => {
    const g = uploadCancelled();
    expect(GatewayError.from(g)).toBe(g);
  });

  it('unwraps the GatewayError a tRPC error carries, whatever code tRPC gave the wrapper', () => {
    const g = new GatewayError('not_found', 'No such file', 'file_id', 'not_found');
    expect(GatewayError.from(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: g }))).toBe(g);
    expect(GatewayError.from(new TRPCError({ code: 'BAD_REQUEST', cause: g }))).toBe(g);
  });

  it('finds the GatewayError a procedure threw when the router is called in-process (createCaller)', async () => {
    const t = initTRPC.create();
    const g = new GatewayError('conflict', 'Already there', 'idempotency_key', 'idempotency_conflict');
    const caller = t.createCallerFactory(
      t.router({
        fails: t.procedure.query(() => {
          throw g;
        }),
        checks: t.procedure
          .input((v: unknown): string => {
            throw new GatewayError('invalid_request', `bad ${String(v)}`, 'x', 'invalid_value');
          })
          .query(() => 1),
      }),
    )({});
    await expect(caller.fails().catch((err) => GatewayError.from(err))).resolves.toBe(g);
    expect(await caller.checks('zzz').catch((err) => GatewayError.from(err))).toMatchObject({
      kind: 'invalid_request',
      param: 'x',
      code: 'invalid_value',
    });
  });

  it("maps tRPC's own errors to their kind, with tRPC's message", () => {
    const cases: [TRPCError['code'], ErrorKind][] = [
      ['BAD_REQUEST', 'invalid_request'],
      ['PARSE_ERROR', 'invalid_request'],
      ['METHOD_NOT_SUPPORTED', 'invalid_request'],
      ['UNSUPPORTED_MEDIA_TYPE', 'invalid_request'],
      ['NOT_FOUND', 'not_found'],
      ['PAYLOAD_TOO_LARGE', 'payload_too_large'],
      ['UNAUTHORIZED', 'authentication'],
      ['TOO_MANY_REQUESTS', 'rate_limited'],
    ];
    for (const [code, kind] of cases) {
      const g = GatewayError.from(new TRPCError({ code, message: `tRPC says ${code}` }));
      expect(g, code).toMatchObject({ kind, message: `tRPC says ${code}` });
    }
  });

  it('makes anything else internal, with a message that shows nothing and the original kept as cause', () => {
    const secret = new Error('relation "virtual_keys" does not exist: SELECT key_hash FROM …');
    for (const thrown of [
      secret,
      new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: secret }),
      new TypeError('x is undefined'),
      'a string',
      42,
      null,
      undefined,
      { message: 'an object' },
    ]) {
      const g = GatewayError.from(thrown);
      expect(g, String(thrown)).toMatchObject({
        kind: 'internal',
        message: 'The gateway hit an internal error',
        param: null,
        code: 'internal_error',
      });
    }
    expect(GatewayError.from(secret).cause).toBe(secret);
    expect(GatewayError.from(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: secret })).cause).toBe(secret);
    expect(internalError().cause).toBeUndefined();
  });
});
