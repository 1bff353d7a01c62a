import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BatchCreateIntent } from '../db/entities/index.js';
import type { Dialect } from '../db/orm.js';
import { reconcileIntent } from '../domain/batches/reconcile-intent.js';
import type { Gateway } from '../domain/gateway.js';
import { claimDueRows } from './leases.js';
import { PeriodicWorker } from './periodic-worker.js';

/** Settled intents are kept this long (SDK retries and Idempotency-Key replays look them up), then deleted. */
const KEEP_SETTLED_MS = 24 * 3_600_000;
const CONCURRENCY = 4;

/**
 * Settles batch create intents left `pending` by a create that did not finish (its process died between the
 * provider's answer and our write, or the answer was lost and the search for it failed): at start and then
 * every tick, claims pending intents whose lease ran out (the request that held it is gone) and reconciles each
 * (domain/batches/reconcile-intent.ts): the upstream batch is adopted if it exists, else the intent fails. A
 * search that fails (provider unreachable) leaves the intent leased until its lease runs out, then it is retried.
 */
export class CreateReconciler {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`.slice(-64);
  private readonly worker: PeriodicWorker;
  private lastPurge = 0;

  constructor(
    private readonly gw: Gateway,
    private readonly dialect: Dialect,
  ) {
    const tickMs = Math.max(10, Math.min(5000, gw.config.tracking.pollIntervalMs / 2));
    this.worker = new PeriodicWorker('create_reconciler', gw.log, tickMs, () => this.tick());
  }

  start(): void {
    this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const ids = await claimDueRows(
      this.gw.em(),
      this.dialect,
      'batch_create_intent',
      "state = 'pending'",
      [],
      this.owner,
      now,
      this.gw.config.tracking.leaseMs,
      CONCURRENCY,
    );
    await Promise.all(
      ids.map((id) =>
        reconcileIntent(this.gw, id).catch((err: unknown) =>
          this.gw.log.warn(
            { event: 'batch_intent_reconcile_failed', intent: id, error: (err as Error).message },
            'could not settle a batch create intent; will retry',
          ),
        ),
      ),
    );
    if (now - this.lastPurge > 3_600_000) {
      this.lastPurge = now;
      await this.gw.em().nativeDelete(BatchCreateIntent, { state: { $ne: 'pending' }, createdAt: { $lt: now - KEEP_SETTLED_MS } });
    }
  }
}
