import type { z } from 'zod';
import { authenticate } from '../domain/access/authenticate.js';
import type { Principal } from '../domain/access/principal.js';
import type { Gateway } from '../domain/gateway.js';
import { parseInput } from './parse-input.js';
import type { Context } from './trpc.js';

/**
 * A procedure's body apart from tRPC, for a hot path where tRPC's per-call machinery is a large share of the
 * cost. Measured on batches.retrieve over REST (bench/retrieve-cpu.ts, three alternating runs each): ~145 µs of
 * CPU per call through createCaller, ~114 µs without it; its middleware chain copies the call's options about a
 * dozen times with a slow spread helper. The router builds the procedure from the operation (authedProcedure +
 * the same input parser + `run`), and a transport may run the very same operation directly: the same
 * authentication, input schema and parser, domain call and GatewayErrors, in the same order; only tRPC's
 * middleware plumbing is skipped. The router stays the one definition of what the call does.
 */
export interface AuthedOperation<S extends z.ZodType, O> {
  input: S;
  run(ctx: { gw: Gateway; principal: Principal }, input: z.output<S>): Promise<O>;
}

export function authedOperation<S extends z.ZodType, O>(
  input: S,
  run: (ctx: { gw: Gateway; principal: Principal }, input: z.output<S>) => Promise<O>,
): AuthedOperation<S, O> {
  return { input, run };
}

/** Runs an operation as its procedure does: authenticate the caller (authedProcedure), parse the input, run. */
export async function callAuthedOperation<S extends z.ZodType, O>(op: AuthedOperation<S, O>, ctx: Context, rawInput: unknown): Promise<O> {
  const known = authenticate(ctx.gw, ctx.token);
  const principal = known instanceof Promise ? await known : known; // a cached key: no turn of the microtask queue
  return op.run({ gw: ctx.gw, principal }, parseInput(op.input)(rawInput));
}
