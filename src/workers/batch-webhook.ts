import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { WebhookSettings } from '../config/types.js';
import type { GatewayEvent } from '../domain/events.js';
import type { Logger } from '../domain/gateway.js';

export interface WebhookOptions {
  /** Attempts per event, the first included; 6. */
  maxAttempts?: number;
  /** Wait before the second attempt, doubling after each failure (±20 % jitter); 1 s. */
  baseDelayMs?: number;
  timeoutMs?: number;
}

/** `x-sluice-signature: sha256=<hex HMAC-SHA256 of the raw body with batch_webhook_secret>` (GitHub's scheme). */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POSTs `{"type":"batch.finished","id","created_at","data":{…the batch_finished event…}}` to
 * `general_settings.batch_webhook_url` once per finished batch (the event is emitted once, by the replica that
 * recorded the cost). Retried with exponential backoff on network errors and non-2xx answers; the same
 * `x-sluice-delivery` ID on every attempt lets the receiver drop duplicates. Deliveries live in memory: one
 * still retrying when its replica stops is lost (logged as `webhook_abandoned`).
 */
export class BatchWebhook {
  private readonly abort = new AbortController();
  private readonly pending = new Set<Promise<void>>();
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly log: Logger,
    opts: WebhookOptions = {},
  ) {
    this.maxAttempts = opts.maxAttempts ?? 6;
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** The gateway listener: hands `batch_finished` events to delivery, without waiting for it. */
  readonly listener = (event: GatewayEvent): void => {
    if (event.event !== 'batch_finished' || this.abort.signal.aborted) return;
    const delivery = this.deliver(event).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  };

  /** Stops retrying; a request in flight gets `graceMs` to finish. */
  async close(graceMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.pending]), grace]);
    clearTimeout(timer);
    this.abort.abort();
    await Promise.allSettled([...this.pending]);
  }

  private async deliver(event: Extract<GatewayEvent, { event: 'batch_finished' }>): Promise<void> {
    const id = randomUUID();
    const body = JSON.stringify({ type: 'batch.finished', id, created_at: Math.floor(Date.now() / 1000), data: event });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'sluice-webhook',
      'x-sluice-event': 'batch.finished',
      'x-sluice-delivery': id,
    };
    if (this.settings.secret) headers['x-sluice-signature'] = signWebhookBody(this.settings.secret, body);
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      try {
        const res = await request(this.settings.url, {
          method: 'POST',
          headers,
          body,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
          signal: this.abort.signal,
        });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) {
          this.log.info({ event: 'webhook_delivered', batch_id: event.batch_id, delivery: id, attempt }, 'batch webhook delivered');
          return;
        }
        problem = `HTTP ${res.statusCode}`;
      } catch (err) {
        if (this.abort.signal.aborted) break;
        problem = (err as Error).message;
      }
      if (attempt >= this.maxAttempts) {
        this.log.error({ event: 'webhook_failed', batch_id: event.batch_id, delivery: id, attempts: attempt, error: problem }, 'batch webhook gave up');
        return;
      }
      this.log.warn({ event: 'webhook_retry', batch_id: event.batch_id, delivery: id, attempt, error: problem }, 'batch webhook failed; retrying');
      const delay = this.baseDelayMs * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4);
      try {
        await sleep(delay, undefined, { signal: this.abort.signal });
      } catch {
        break;
      }
    }
    this.log.warn({ event: 'webhook_abandoned', batch_id: event.batch_id, delivery: id }, 'gateway stopping; batch webhook abandoned');
  }
}
