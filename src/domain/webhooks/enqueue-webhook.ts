import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/sql';
import { WebhookDelivery } from '../../db/entities/index.js';
import type { GatewayEvent } from '../events.js';
import type { Gateway } from '../gateway.js';

type FinishedEvent = Extract<GatewayEvent, { event: 'batch_finished' }>;

/**
 * Puts a `batch.finished` webhook into the outbox, through `tx`: the caller's transaction, the one that records
 * the state change (so the webhook exists if and only if the change committed). The body is fixed now,
 * `{"type":"batch.finished","id":<delivery ID>,"created_at","data":{…the event…}}`, and every attempt sends it
 * as is (workers/webhook-outbox.ts). Nothing when no `batch_webhook_url` is configured.
 */
export async function enqueueBatchWebhook(tx: EntityManager, gw: Gateway, event: FinishedEvent): Promise<void> {
  if (!gw.config.webhook) return;
  const id = randomUUID();
  const now = Date.now();
  const body = JSON.stringify({ type: 'batch.finished', id, created_at: Math.floor(now / 1000), data: event });
  await tx.insert(WebhookDelivery, {
    id,
    eventType: 'batch.finished',
    subjectId: event.batch_id,
    body,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
  });
}
