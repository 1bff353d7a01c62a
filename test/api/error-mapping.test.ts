import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { Metadata } from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import { publicProcedure, router, type Context } from '../../src/api/trpc.js';
import { ERROR_KINDS, GatewayError, type ErrorKind } from '../../src/domain/errors.js';
import { toServerError } from '../../src/transports/grpc/errors.js';
import { toOpenAIError } from '../../src/transports/rest/errors.js';

const KINDS = Object.keys(ERROR_KINDS) as ErrorKind[];

/**
 * One GatewayError per kind, thrown by a procedure of a router built with the real tRPC instance (api/trpc.ts),
 * through each transport's one mapping: the same type and code on REST, gRPC and tRPC, and the table's HTTP
 * status on tRPC's HTTP wire (no gateway needed: nothing here reaches a database or a provider).
 */
const thrown = (kind: ErrorKind) =>
  new GatewayError(
    kind,
    `a ${kind} error`,
    kind === 'invalid_request' ? 'purpose' : null,
    `${kind}_code`,
    kind === 'rate_limited' ? 7 : undefined,
  );

const probe = router({
  fails: publicProcedure
    .input((v: unknown) => v as ErrorKind)
    .query(({ input }) => {
      throw thrown(input);
    }),
  failsLater: publicProcedure
    .input((v: unknown) => v as ErrorKind)
    .mutation(async ({ input }) => {
      await Promise.resolve();
      throw thrown(input);
    }),
  crashes: publicProcedure.query(() => {
    throw new Error('connection to 10.0.0.7:5432 refused');
  }),
  rejectsInput: publicProcedure
    .input((v: unknown): string => {
      throw new GatewayError('not_found', `No such file: '${String(v)}'`, 'file_id', 'not_found');
    })
    .query(() => 1),
});

async function viaTrpc(path: string, input: unknown, method: 'GET' | 'POST' = 'GET') {
  const url = new URL(`http://sluice.test/trpc/${path}`);
  if (method === 'GET') url.searchParams.set('input', JSON.stringify(input));
  const req = new Request(
    url,
    method === 'POST' ? { method, body: JSON.stringify(input), headers: { 'content-type': 'application/json' } } : undefined,
  );
  const res = await fetchRequestHandler({ endpoint: '/trpc', req, router: probe, createContext: () => ({}) as Context });
  const body = (await res.json()) as {
    error: {
      message: string;
      code: number;
      data: { code: string; httpStatus: number; stack?: string; openai: { type: string; param: string | null; code: string | null } };
    };
  };
  return { status: res.status, error: body.error };
}

describe('one GatewayError, mapped once per transport', () => {
  it('gives each kind the same type, param and code on REST, gRPC and tRPC, and the table’s status and codes', async () => {
    for (const kind of KINDS) {
      const row = ERROR_KINDS[kind];
      const g = thrown(kind);

      const rest = toOpenAIError(g);
      expect(rest, kind).toMatchObject({
        status: row.http,
        body: { error: { message: g.message, type: row.openaiType, param: g.param, code: g.code } },
      });

      const trailer = Metadata();
      const grpc = toServerError(g, trailer);
      expect(grpc.code, kind).toBe(row.grpc);
      expect(
        {
          type: trailer.get('sluice-error-type'),
          param: trailer.get('sluice-error-param') ?? null,
          code: trailer.get('sluice-error-code'),
        },
        kind,
      ).toEqual({
        type: row.openaiType,
        param: g.param,
        code: g.code,
      });

      for (const [path, method] of [
        ['fails', 'GET'],
        ['failsLater', 'POST'],
      ] as const) {
        const trpc = await viaTrpc(path, kind, method);
        expect(trpc.status, `${kind} ${path}`).toBe(row.http);
        expect(trpc.error.data, `${kind} ${path}`).toMatchObject({
          code: row.trpc,
          httpStatus: row.http,
          openai: { type: row.openaiType, param: g.param, code: g.code },
        });
        // The internal kind's message is generic whoever built it; the others say what the GatewayError says.
        expect(trpc.error.message).toBe(g.message);
        expect(trpc.error.data.stack).toBeUndefined();
      }
    }
    expect(toOpenAIError(thrown('rate_limited')).headers['retry-after']).toBe('7');
  });

  it('an error thrown while parsing the input keeps its own kind (an impossible ID is a 404, not a 400)', async () => {
    const { status, error } = await viaTrpc('rejectsInput', 'file-x');
    expect(status).toBe(404);
    expect(error.data).toMatchObject({ code: 'NOT_FOUND', openai: { type: 'invalid_request_error', param: 'file_id', code: 'not_found' } });
  });

  it('answers an unexpected error as internal everywhere, without its message', async () => {
    const crash = new Error('connection to 10.0.0.7:5432 refused');
    const rest = toOpenAIError(crash);
    expect(rest).toMatchObject({
      status: 500,
      body: { error: { message: 'The gateway hit an internal error', type: 'server_error', code: 'internal_error' } },
    });
    expect(toServerError(crash, Metadata()).details).toBe('The gateway hit an internal error');
    const { status, error } = await viaTrpc('crashes', undefined);
    expect(status).toBe(500);
    expect(error).toMatchObject({
      message: 'The gateway hit an internal error',
      data: { code: 'INTERNAL_SERVER_ERROR', openai: { type: 'server_error', code: 'internal_error' } },
    });
    expect(JSON.stringify(error)).not.toContain('10.0.0.7');
  });

  it("keeps tRPC's own status for its own errors, with OpenAI's type beside it", async () => {
    const unknown = await viaTrpc('nope', undefined);
    expect(unknown.status).toBe(404);
    expect(unknown.error.data).toMatchObject({ code: 'NOT_FOUND', openai: { type: 'invalid_request_error' } });
    const wrongMethod = await viaTrpc('failsLater', 'invalid_request', 'GET');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.error.data).toMatchObject({ code: 'METHOD_NOT_SUPPORTED', openai: { type: 'invalid_request_error' } });
  });
});
