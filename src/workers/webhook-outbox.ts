import { createHmac, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { request } from 'undici';
import type { WebhookSettings } from '../config/types.js';
import { WebhookDelivery } from '../db/entities/index.js';
import type { Dialect } from '../db/orm.js';
import { emitEvent, type GatewayEvent } from '../domain/events.js';
import type { Gateway } from '../domain/gateway.js';
import { claimDueRows } from './leases.js';
import { PeriodicWorker } from './periodic-worker.js';

export interface WebhookOptions {
  /** Give up after this many attempts (the first included); default: only the age limit below applies. */
  maxAttempts?: number;
  /** Wait before the second attempt, doubling after each failure (±20 % jitter) up to `maxDelayMs`; 1 s. */
  baseDelayMs?: number;
  /** Longest wait between two attempts; 5 min. */
  maxDelayMs?: number;
  /** Give up on a delivery this old (error log `webhook_abandoned` + metric); 24 h. */
  maxAgeMs?: number;
  timeoutMs?: number;
}

/** `x-sluice-signature: sha256=<hex HMAC-SHA256 of the raw body with batch_webhook_secret>` (GitHub's scheme). */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const CONCURRENCY = 8;
const KEEP_DELIVERED_MS = 7 * 24 * 3_600_000;

/**
 * Delivers the webhook outbox (db/entities/webhook-delivery.ts) to `general_settings.batch_webhook_url`: claims
 * due deliveries through leases (any replica; each delivery by one at a time), POSTs the stored body with the
 * same `x-sluice-delivery` ID on every attempt (the receiver dedupes on it: delivery is at least once), and on a
 * network error or a non-2xx answer schedules the next attempt with exponential backoff. A replica that dies
 * mid-delivery leaves the row leased; another one retries it when the lease runs out.
 */
export class WebhookOutbox {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`.slice(-64);
  private readonly worker: PeriodicWorker;
  private readonly abort = new AbortController();
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private lastPurge = 0;

  constructor(
    private readonly gw: Gateway,
    private readonly dialect: Dialect,
    private readonly settings: WebhookSettings,
    private readonly opts: WebhookOptions = {},
  ) {
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.maxAgeMs = opts.maxAgeMs ?? 24 * 3_600_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    const tickMs = Math.max(10, Math.min(1000, gw.config.tracking.pollIntervalMs / 2, this.baseDelayMs));
    this.worker = new PeriodicWorker('webhook_outbox', gw.log, tickMs, () => this.tick());
  }

  /** The gateway listener: a batch just finished, so its delivery is in the outbox; send it now. */
  readonly listener = (event: GatewayEvent): void => {
    if (event.event === 'batch_finished') this.worker.nudge();
  };

  start(): void {
    this.worker.start();
  }

  /** Stops claiming; a request in flight gets `graceMs`, then is cut (its delivery stays in the outbox). */
  async stop(graceMs = 2000): Promise<void> {
    const cut = setTimeout(() => this.abort.abort(), graceMs);
    await this.worker.stop();
    clearTimeout(cut);
    this.abort.abort();
    await this.gw
      .em()
      .nativeUpdate(WebhookDelivery, { leaseOwner: this.owner }, { leaseOwner: null, leaseUntil: null })
      .catch(() => undefined);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    // The lease covers a whole attempt (its timeout), so a slow receiver does not get the same delivery twice at once.
    const leaseMs = this.timeoutMs + this.gw.config.tracking.leaseMs;
    const ids = await claimDueRows(
      this.gw.em(),
      this.dialect,
      'webhook_delivery',
      'delivered_at is null and next_attempt_at <= ?',
      [now],
      this.owner,
      now,
      leaseMs,
      CONCURRENCY,
    );
    await Promise.all(ids.map((id) => this.deliver(id)));
    if (now - this.lastPurge > 3_600_000) {
      // Delivered rows are kept a week (what was sent, when, after how many attempts), then removed.
      this.lastPurge = now;
      await this.gw.em().nativeDelete(WebhookDelivery, { deliveredAt: { $lt: now - KEEP_DELIVERED_MS } });
    }
  }

  private async deliver(id: string): Promise<void> {
    const em = this.gw.em();
    const row = await em.findOne(WebhookDelivery, { id, leaseOwner: this.owner });
    if (!row || row.deliveredAt) return;
    const attempt = row.attempts + 1;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'sluice-webhook',
      'x-sluice-event': row.eventType,
      'x-sluice-delivery': row.id,
      'x-sluice-attempt': String(attempt),
    };
    if (this.settings.secret) headers['x-sluice-signature'] = signWebhookBody(this.settings.secret, row.body);
    let problem: string;
    try {
      const res = await request(this.settings.url, {
        method: 'POST',
        headers,
        body: row.body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: this.abort.signal,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await em.nativeUpdate(
          WebhookDelivery,
          { id },
          { deliveredAt: Date.now(), attempts: attempt, leaseOwner: null, leaseUntil: null, lastError: null },
        );
        this.gw.log.info(
          { event: 'webhook_delivered', subject_id: row.subjectId, batch_id: row.subjectId, delivery: row.id, attempt },
          'batch webhook delivered',
        );
        return;
      }
      problem = `HTTP ${res.statusCode}`;
    } catch (err) {
      if (this.abort.signal.aborted) return; // stopping: the lease is given back, another replica retries
      problem = (err as Error).message;
    }
    const now = Date.now();
    const tooOld = now - row.createdAt > this.maxAgeMs || (this.opts.maxAttempts !== undefined && attempt >= this.opts.maxAttempts);
    if (tooOld) {
      await em.nativeDelete(WebhookDelivery, { id });
      emitEvent(this.gw, {
        event: 'webhook_abandoned',
        delivery_id: row.id,
        event_type: row.eventType,
        subject_id: row.subjectId,
        attempts: attempt,
        error: problem,
      });
      return;
    }
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
    await em.nativeUpdate(
      WebhookDelivery,
      { id },
      { attempts: attempt, nextAttemptAt: Math.round(now + delay), lastError: problem.slice(0, 1000), leaseOwner: null, leaseUntil: null },
    );
    this.gw.log.warn(
      { event: 'webhook_retry', batch_id: row.subjectId, delivery: row.id, attempt, error: problem },
      'batch webhook failed; retrying',
    );
  }
}
