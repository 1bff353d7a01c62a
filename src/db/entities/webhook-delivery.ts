import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * The webhook outbox: one row per event to POST to `general_settings.batch_webhook_url`, inserted in the same
 * transaction as the state change that causes it (a batch's cost being recorded), so a crash can neither lose
 * it nor send it for a change that rolled back. Any replica delivers it (leased like the tracker's batches) and
 * retries with backoff until the receiver answers 2xx. `id` is the delivery ID the receiver dedupes on; `body`
 * is stored as sent, so every attempt carries the same bytes and signature.
 */
export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_delivery',
  properties: {
    id: p.string().length(64).primary(),
    eventType: p.string().length(64),
    /** The object the event is about (a batch ID): one delivery per event and object. */
    subjectId: p.string().length(64),
    body: p.text(),
    attempts: p.integer().default(0),
    nextAttemptAt: p.bigint('number'),
    leaseOwner: p.string().length(64).nullable(),
    leaseUntil: p.bigint('number').nullable(),
    deliveredAt: p.bigint('number').nullable(),
    lastError: p.text().nullable(),
    createdAt: p.bigint('number'),
  },
  uniques: [{ properties: ['eventType', 'subjectId'] }],
  indexes: [{ properties: ['deliveredAt', 'nextAttemptAt'] }],
});
export type WebhookDelivery = InferEntity<typeof WebhookDelivery>;
