import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * A batch create made with an `Idempotency-Key`: the same key from the same caller gets the same batch back
 * instead of a second one upstream (the OpenAI SDKs retry POSTs after timeouts and send no key of their own).
 * `scope` is the caller (key ID, or `master`) and the key; the primary key makes a race between two retries
 * end with one winner.
 */
export const IdempotencyRecord = defineEntity({
  name: 'IdempotencyRecord',
  tableName: 'idempotency_record',
  properties: {
    scope: p.string().length(320).primary(),
    requestHash: p.string().length(64),
    batchId: p.string().length(64),
    createdAt: p.integer().index(),
  },
});
export type IdempotencyRecord = InferEntity<typeof IdempotencyRecord>;
