import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Dialect } from '../db/orm.js';
import { followBatch } from '../domain/batches/poll.js';
import type { Gateway } from '../domain/gateway.js';
import { claimDueBatches, releaseAllLeases, releaseLease, renewLeases } from './leases.js';

export interface TrackerOptions {
  /** Between two polls of a running batch; default `general_settings.batch_poll_interval_seconds` (60 s). */
  pollIntervalMs?: number;
  /** While `finalizing`; default `general_settings.batch_finalizing_poll_interval_seconds` (5 s). */
  finalizingPollIntervalMs?: number;
  /** How long a claimed batch stays ours without renewal (a dead replica's batches wait this long); default
   * `general_settings.batch_lease_seconds` (30 s). */
  leaseMs?: number;
  /** Batches followed at once by this replica; 8. */
  concurrency?: number;
}

/**
 * Follows every batch to its end, inside the server: claims due batches through leases in the database
 * (leases.ts), polls each one (domain followBatch: store the provider's state, record the cost once terminal),
 * and gives it back due again after a jittered interval, sooner while it is finalizing. Nothing lives only in
 * memory: a restarted replica, or another one, carries on from the database.
 */
export class BatchTracker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`.slice(-64);
  private readonly pollMs: number;
  private readonly finalizingMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly tickMs: number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly gw: Gateway,
    private readonly dialect: Dialect,
    opts: TrackerOptions = {},
  ) {
    this.pollMs = opts.pollIntervalMs ?? gw.config.tracking.pollIntervalMs;
    this.finalizingMs = opts.finalizingPollIntervalMs ?? gw.config.tracking.finalizingPollIntervalMs;
    this.leaseMs = opts.leaseMs ?? gw.config.tracking.leaseMs;
    this.concurrency = opts.concurrency ?? 8;
    // Look for due batches often enough that the jittered intervals above are what decides when a batch is polled.
    this.tickMs = Math.max(10, Math.min(1000, this.pollMs / 2, this.finalizingMs / 2));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.gw.log.info(
      {
        event: 'tracker_started',
        owner: this.owner,
        poll_interval_ms: this.pollMs,
        finalizing_poll_interval_ms: this.finalizingMs,
        lease_ms: this.leaseMs,
      },
      'batch tracker started',
    );
    this.schedule(0);
    this.heartbeat = setInterval(() => void this.renew(), Math.max(5, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
  }

  /** Stops claiming, lets the batches in hand finish (up to `graceMs`), and gives back any lease still held. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const settled = Promise.allSettled([...this.inFlight.values()]);
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, graceMs)));
    await Promise.race([settled, grace]);
    clearTimeout(graceTimer);
    clearInterval(this.heartbeat);
    await releaseAllLeases(this.gw.em(), this.owner).catch(() => undefined);
    this.gw.log.info({ event: 'tracker_stopped', owner: this.owner, abandoned: this.inFlight.size }, 'batch tracker stopped');
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule(this.tickMs);
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0 || this.stopped) return;
    let ids: string[];
    try {
      ids = await claimDueBatches(this.gw.em(), this.dialect, this.owner, Date.now(), this.leaseMs, free);
    } catch (err) {
      this.gw.log.warn({ event: 'tracker_claim_failed', error: (err as Error).message }, 'could not claim batches');
      return;
    }
    for (const id of ids) {
      const work = this.follow(id).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, work);
    }
  }

  private async follow(id: string): Promise<void> {
    let next: number | null;
    try {
      const result = await followBatch(this.gw, id);
      if (!result || result.done) next = null;
      else next = Date.now() + jitter(result.status === 'finalizing' ? this.finalizingMs : this.pollMs);
    } catch (err) {
      this.gw.log.warn(
        { event: 'batch_poll_failed', batch_id: id, error: (err as Error).message },
        'following the batch failed; will retry',
      );
      next = Date.now() + jitter(this.pollMs);
    }
    try {
      await releaseLease(this.gw.em(), this.owner, id, next);
    } catch (err) {
      // The lease runs out on its own; the batch is polled again after that.
      this.gw.log.warn({ event: 'tracker_release_failed', batch_id: id, error: (err as Error).message }, 'could not release a batch lease');
    }
  }

  private async renew(): Promise<void> {
    if (this.inFlight.size === 0) return;
    try {
      await renewLeases(this.gw.em(), this.owner, [...this.inFlight.keys()], Date.now() + this.leaseMs);
    } catch (err) {
      this.gw.log.warn({ event: 'tracker_renew_failed', error: (err as Error).message }, 'could not renew batch leases');
    }
  }
}

/** ±10 %, so batches created together spread out instead of polling in lockstep. */
function jitter(ms: number): number {
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}
