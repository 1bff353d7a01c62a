import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import { FileReplica, ManagedBatch, SpendRecord } from '../../db/entities/index.js';
import { ProviderError } from '../../providers/types.js';
import { emitEvent, type GatewayEvent } from '../events.js';
import { providerFor, type Gateway } from '../gateway.js';
import { enqueueBatchWebhook } from '../webhooks/enqueue-webhook.js';
import { resolvePrice } from './prices.js';
import { emptyUsage, sumOutputUsage, type ModelUsage, type OutputUsage } from './usage.js';

export type CostOutcome = 'recorded' | 'already_recorded' | 'nothing_to_bill';

/**
 * Records what a terminal batch cost, exactly once, whoever calls it (the tracker, a user's retrieve, two
 * replicas at the same time): its output file is streamed and summed (only status-200 lines), then ONE
 * transaction inserts the SpendRecord (primary key = batch ID), adds the same amount to the owner key's and
 * team's `spend`, and sets `costRecorded`. A second caller's insert hits the primary key, its transaction rolls
 * back whole, and it counts as done. A batch without output (failed, cancelled before anything ran) bills
 * nothing and only gets `costRecorded` set. Emits `batch_finished` once, from the caller that won.
 */
export async function recordBatchCost(gw: Gateway, batch: ManagedBatch): Promise<CostOutcome> {
  if (batch.costRecorded) return 'already_recorded';
  if (!batch.outputFileId) return finishWithoutOutput(gw, batch);
  const em = gw.em();
  const replica = await em.findOne(FileReplica, { fileId: batch.outputFileId });
  if (!replica) return finishWithoutOutput(gw, batch);

  let usage: OutputUsage;
  try {
    const content = await providerFor(gw, batch.deploymentId).fileContent(replica.providerFileId);
    usage = await sumOutputUsage(content.body);
  } catch (err) {
    if (err instanceof ProviderError && err.status === 404) {
      // The provider no longer has the output (deleted or expired): retrying cannot help.
      gw.log.error(
        { event: 'batch_cost_unavailable', batch_id: batch.id, error: err.message },
        'batch output is gone upstream; cost not recorded',
      );
      return finishWithoutOutput(gw, batch);
    }
    throw err;
  }

  const deployment = gw.config.deployments.find((d) => d.id === batch.deploymentId);
  let cost = 0;
  for (const [model, u] of usage.byModel) {
    const price = resolvePrice(deployment, model);
    if (price.source === 'none' && (u.inputTokens > 0 || u.outputTokens > 0)) {
      gw.log.warn(
        { event: 'price_unknown', batch_id: batch.id, model, deployment: batch.deploymentId },
        'no batch price for this model; billed at 0',
      );
    }
    cost += costOf(u, price);
  }
  // Token × price sums carry binary noise (0.00019625000000000003); a pico-dollar is finer than any bill.
  cost = Math.round(cost * 1e12) / 1e12;
  const counts = requestCounts(batch);
  const record = {
    batchId: batch.id,
    ownerKeyId: batch.ownerKeyId ?? null,
    ownerUserId: batch.ownerUserId ?? null,
    ownerTeamId: batch.ownerTeamId ?? null,
    modelGroup: batch.modelGroup,
    deploymentId: batch.deploymentId,
    requests: usage.total.requests,
    failedRequests: counts.failed,
    inputTokens: usage.total.inputTokens,
    cachedInputTokens: usage.total.cachedInputTokens,
    outputTokens: usage.total.outputTokens,
    reasoningTokens: usage.total.reasoningTokens,
    cost,
    createdAt: Math.floor(Date.now() / 1000),
  };
  const finished = finishedEvent(batch, usage.total, cost);
  try {
    await em.transactional(async (tx) => {
      await tx.insert(SpendRecord, record);
      const ctx = tx.getTransactionContext();
      const conn = tx.getConnection();
      if (record.ownerKeyId)
        await conn.execute('update virtual_key set spend = spend + ? where id = ?', [cost, record.ownerKeyId], 'run', ctx);
      if (record.ownerTeamId) await conn.execute('update team set spend = spend + ? where id = ?', [cost, record.ownerTeamId], 'run', ctx);
      await tx.nativeUpdate(ManagedBatch, { id: batch.id }, { costRecorded: true });
      await enqueueBatchWebhook(tx as unknown as EntityManager, gw, finished); // the outbox: same transaction
    });
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    await markCostRecorded(gw.em(), batch);
    return 'already_recorded';
  }
  batch.costRecorded = true;
  emitEvent(gw, finished);
  return 'recorded';
}

/** (input − cached) × input rate + cached × cached rate + output × output rate; reasoning is part of output. */
export function costOf(u: ModelUsage, price: { input: number; cachedInput?: number; output: number }): number {
  const cached = Math.min(u.cachedInputTokens, u.inputTokens);
  return (u.inputTokens - cached) * price.input + cached * (price.cachedInput ?? price.input) + u.outputTokens * price.output;
}

async function finishWithoutOutput(gw: Gateway, batch: ManagedBatch): Promise<CostOutcome> {
  const finished = finishedEvent(batch, emptyUsage(), 0);
  const won = await gw.em().transactional(async (tx) => {
    const changed = await markCostRecorded(tx as unknown as EntityManager, batch);
    if (changed) await enqueueBatchWebhook(tx as unknown as EntityManager, gw, finished); // the outbox: same transaction
    return changed;
  });
  if (won) emitEvent(gw, finished);
  return won ? 'nothing_to_bill' : 'already_recorded';
}

/** Sets costRecorded; true when this call is the one that changed it. */
async function markCostRecorded(em: EntityManager, batch: ManagedBatch): Promise<boolean> {
  const changed = await em.nativeUpdate(ManagedBatch, { id: batch.id, costRecorded: false }, { costRecorded: true });
  batch.costRecorded = true;
  return changed > 0;
}

function requestCounts(batch: ManagedBatch): { total: number; completed: number; failed: number } {
  const c = (batch.snapshot as { request_counts?: { total?: number; completed?: number; failed?: number } }).request_counts;
  return { total: c?.total ?? 0, completed: c?.completed ?? 0, failed: c?.failed ?? 0 };
}

function finishedEvent(batch: ManagedBatch, usage: ModelUsage, cost: number): Extract<GatewayEvent, { event: 'batch_finished' }> {
  const s = batch.snapshot as Record<string, unknown>;
  const ended = ['completed_at', 'cancelled_at', 'expired_at', 'failed_at']
    .map((k) => s[k])
    .find((v): v is number => typeof v === 'number');
  const created = typeof s.created_at === 'number' ? s.created_at : batch.createdAt;
  return {
    event: 'batch_finished',
    batch_id: batch.id,
    status: batch.status,
    model_group: batch.modelGroup,
    deployment: batch.deploymentId,
    key_id: batch.ownerKeyId ?? null,
    user_id: batch.ownerUserId ?? null,
    team_id: batch.ownerTeamId ?? null,
    request_counts: requestCounts(batch),
    billed_requests: usage.requests,
    input_tokens: usage.inputTokens,
    cached_input_tokens: usage.cachedInputTokens,
    output_tokens: usage.outputTokens,
    reasoning_tokens: usage.reasoningTokens,
    cost,
    duration_seconds: Math.max(0, (ended ?? Math.floor(Date.now() / 1000)) - created),
    output_file_id: batch.outputFileId ?? null,
    error_file_id: batch.errorFileId ?? null,
  };
}
