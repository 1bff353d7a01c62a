import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PendingDelete } from '../db/entities/index.js';
import type { Dialect } from '../db/orm.js';
import { emitEvent } from '../domain/events.js';
import { deleteReplicaUpstream } from '../domain/files/pending-deletes.js';
import type { Gateway } from '../domain/gateway.js';
import { claimDueRows } from './leases.js';
import { PeriodicWorker } from './periodic-worker.js';

export interface JanitorOptions {
  /** Wait after a failed attempt, doubling each time (±20 % jitter) up to `maxDelayMs`; 1 s. */
  baseDelayMs?: number;
  /** Longest wait between two attempts; 10 min. */
  maxDelayMs?: number;
}

const CONCURRENCY = 8;
const DEFAULT_MAX_AGE_MS = 7 * 24 * 3_600_000;

/**
 * Drains pending_delete (copies of files that must go but whose delete failed: an upload's rollback, a file
 * delete): claims due rows through leases (any replica, one at a time per row), deletes the copy upstream (a 404
 * counts as done) and forgets the row; a failure is retried with exponential backoff. A row older than
 * `general_settings.pending_delete_max_age_seconds` (default 7 days) is given up on loudly: an error log
 * (`replica_delete_abandoned`) and the `sluice_side_effects_abandoned_total{kind="replica_delete"}` metric.
 */
export class ReplicaJanitor {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`.slice(-64);
  private readonly worker: PeriodicWorker;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly gw: Gateway,
    private readonly dialect: Dialect,
    opts: JanitorOptions = {},
  ) {
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.maxDelayMs = opts.maxDelayMs ?? 10 * 60_000;
    const tickMs = Math.max(10, Math.min(1000, gw.config.tracking.pollIntervalMs / 2));
    this.worker = new PeriodicWorker('replica_janitor', gw.log, tickMs, () => this.tick());
  }

  start(): void {
    this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    await this.gw
      .em()
      .nativeUpdate(PendingDelete, { leaseOwner: this.owner }, { leaseOwner: null, leaseUntil: null })
      .catch(() => undefined);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const ids = await claimDueRows(
      this.gw.em(),
      this.dialect,
      'pending_delete',
      'next_attempt_at <= ?',
      [now],
      this.owner,
      now,
      this.gw.config.tracking.leaseMs,
      CONCURRENCY,
    );
    await Promise.all(ids.map((id) => this.retry(Number(id))));
  }

  private async retry(id: number): Promise<void> {
    const em = this.gw.em();
    const row = await em.findOne(PendingDelete, { id, leaseOwner: this.owner });
    if (!row) return;
    const attempt = row.attempts + 1;
    try {
      await deleteReplicaUpstream(this.gw, row);
      await em.nativeDelete(PendingDelete, { id });
      this.gw.log.info(
        { event: 'replica_delete_done', deployment: row.deploymentId, reason: row.reason, attempts: attempt },
        'pending replica delete done',
      );
      return;
    } catch (err) {
      const problem = (err as Error).message ?? String(err);
      const now = Date.now();
      const ageMs = now - row.createdAt;
      if (ageMs > (this.gw.config.pendingDeleteMaxAgeMs ?? DEFAULT_MAX_AGE_MS)) {
        await em.nativeDelete(PendingDelete, { id });
        emitEvent(this.gw, {
          event: 'replica_delete_abandoned',
          deployment: row.deploymentId,
          reason: row.reason,
          attempts: attempt,
          age_seconds: Math.round(ageMs / 1000),
          error: problem,
        });
        return;
      }
      const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(30, attempt - 1)) * (0.8 + Math.random() * 0.4);
      await em.nativeUpdate(
        PendingDelete,
        { id },
        {
          attempts: attempt,
          nextAttemptAt: Math.round(now + delay),
          lastError: problem.slice(0, 1000),
          leaseOwner: null,
          leaseUntil: null,
        },
      );
      this.gw.log.warn(
        { event: 'replica_delete_retry', deployment: row.deploymentId, reason: row.reason, attempt, error: problem },
        'pending replica delete failed; retrying',
      );
    }
  }
}
