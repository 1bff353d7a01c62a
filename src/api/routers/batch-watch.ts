import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { retrieveManagedBatch } from '../../domain/batches/retrieve.js';
import { TERMINAL_STATUSES } from '../../domain/batches/translate-batch.js';
import { GatewayError } from '../../domain/errors.js';
import { objectId } from '../input-strings.js';
import { parseInput } from '../parse-input.js';
import { authedProcedure } from '../trpc.js';

export const watchBatchInput = z.object({
  batch_id: objectId('batch'),
  /** How often to ask the deployment; bounded below so a watcher cannot hammer a provider. */
  poll_interval_ms: z.number().int().min(100).max(60_000).optional(),
});

export const DEFAULT_WATCH_INTERVAL_MS = 1000;

/**
 * The batch now, then again at each status change, until it is terminal; stops when the caller goes away.
 * The one implementation behind tRPC's `batches.watch` subscription (SSE) and gRPC's WatchBatch.
 */
export const watchBatch = authedProcedure.input(parseInput(watchBatchInput)).subscription(async function* ({ ctx, input, signal }) {
  // The gateway stopping ends the watch too (503/UNAVAILABLE: watch again), so a drain never waits for a watcher.
  const stop = AbortSignal.any([signal, ctx.signal, ctx.gw.stopping].filter((s): s is AbortSignal => !!s));
  const stopped = () => {
    if (ctx.gw.stopping?.aborted)
      throw new GatewayError('unavailable', 'The gateway is stopping: watch the batch again', null, 'server_stopping', 1);
  };
  const interval = input.poll_interval_ms ?? DEFAULT_WATCH_INTERVAL_MS;
  let last: string | null = null;
  // Errors raised while iterating need no mapping here: tRPC's error formatter (api/trpc.ts) maps what a
  // subscription throws as it does any procedure's, and the in-process adapters use GatewayError.from.
  for (;;) {
    const batch = await retrieveManagedBatch(ctx.gw, ctx.principal, input.batch_id);
    stopped();
    if (stop.aborted) return;
    if (batch.status !== last) {
      last = batch.status;
      yield batch;
    }
    if (TERMINAL_STATUSES.has(batch.status)) return;
    try {
      await sleep(interval, undefined, { signal: stop });
    } catch {
      stopped();
      return; // aborted: the caller went away
    }
  }
});
