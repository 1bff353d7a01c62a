import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { IdempotencyRecord } from '../../db/entities/index.js';
import type { Principal } from '../access/principal.js';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { retrieveManagedBatch } from './retrieve.js';
import { createManagedBatch, type CreateBatchInput, type CreateBatchOptions } from './create-batch.js';
import { callerScope, hashCreateRequest } from './create-intent.js';
import { findRetriedCreate } from './reconcile-intent.js';
import type { BatchObject } from './translate-batch.js';

/** How long a key is remembered (OpenAI's own idempotency window elsewhere is 24 h). */
const KEY_TTL_SECONDS = 24 * 3600;

/**
 * Batch create with an optional `Idempotency-Key`: the first request with a key reserves it, creates the batch
 * and records its ID; a repeat (a client retrying after a timeout) gets that same batch back instead of a
 * second one running and billing upstream. A key reused for a different request, or while the first is still
 * in flight, is a 409. Keys are per caller and forgotten after 24 h.
 */
export async function createBatchOnce(
  gw: Gateway,
  principal: Principal,
  input: CreateBatchInput,
  idempotencyKey?: string,
  opts: CreateBatchOptions = {},
): Promise<BatchObject> {
  if (!idempotencyKey) return createManagedBatch(gw, principal, input, opts);
  const scope = `${callerScope(principal)}:${idempotencyKey}`;
  const requestHash = hashCreateRequest(input);
  const now = Math.floor(Date.now() / 1000);
  const em = gw.em();
  await em.nativeDelete(IdempotencyRecord, { scope, createdAt: { $lt: now - KEY_TTL_SECONDS } });
  try {
    await em.insert(IdempotencyRecord, { scope, requestHash, batchId: '', createdAt: now });
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    return replay(gw, principal, scope, requestHash);
  }
  let batch: BatchObject;
  try {
    batch = await createManagedBatch(gw, principal, input, opts);
  } catch (err) {
    await gw.em().nativeDelete(IdempotencyRecord, { scope }); // nothing was created: the key is free again
    throw err;
  }
  await gw.em().nativeUpdate(IdempotencyRecord, { scope }, { batchId: batch.id });
  return batch;
}

async function replay(gw: Gateway, principal: Principal, scope: string, requestHash: string): Promise<BatchObject> {
  const record = await gw.em().findOne(IdempotencyRecord, { scope });
  if (!record) throw conflict('The request with this Idempotency-Key failed meanwhile; retry it');
  if (record.requestHash !== requestHash) throw conflict('This Idempotency-Key was already used for a different request');
  if (!record.batchId) {
    // In progress, or its process died before it wrote the batch ID: the create intent knows (reconcile-intent.ts);
    // it waits for a create still running, and finds upstream a batch whose answer was lost.
    const earlier = await findRetriedCreate(gw, principal, requestHash, `idem:${process.pid}`);
    if (!earlier) {
      await gw.em().nativeDelete(IdempotencyRecord, { scope, batchId: '' });
      throw conflict('The request with this Idempotency-Key failed meanwhile; retry it');
    }
    await gw.em().nativeUpdate(IdempotencyRecord, { scope }, { batchId: earlier.id });
    return earlier;
  }
  gw.log.info({ event: 'batch_create_replayed', batch_id: record.batchId }, 'idempotent batch create replayed');
  return retrieveManagedBatch(gw, principal, record.batchId);
}

const conflict = (message: string) => new GatewayError('conflict', message, 'Idempotency-Key', 'idempotency_key_conflict');
