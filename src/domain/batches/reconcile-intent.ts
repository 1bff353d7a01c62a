import { setTimeout as sleep } from 'node:timers/promises';
import { BatchCreateIntent, FileReplica, ManagedBatch } from '../../db/entities/index.js';
import type { ProviderBatch } from '../../providers/types.js';
import type { Principal } from '../access/principal.js';
import { GatewayError } from '../errors.js';
import { providerFor, type Gateway } from '../gateway.js';
import { retrieveManagedBatch } from './retrieve.js';
import { callerScope, failIntent, INTENT_METADATA_KEY } from './create-intent.js';
import { storeCreatedBatch } from './store-created-batch.js';
import type { BatchObject } from './translate-batch.js';

/** Upstream batches older than the intent by more than this (clock skew between us and the provider) are not searched. */
const LOOKBACK_SECONDS = 600;
/** At most this many pages of 100 batches per deployment. */
const MAX_PAGES = 20;
/** An SDK retry (X-Stainless-Retry-Count > 0) within this long of the first attempt is the same request. */
export const RETRY_WINDOW_MS = 10 * 60_000;
/** How long a retry waits for the first attempt, still running elsewhere, before answering 409 (which the SDK retries). */
const WAIT_FOR_FIRST_MS = 20_000;

/** The batches `deploymentId` made for this intent: tagged with it, or (untagged intent) same input file and metadata, not tracked yet. */
export async function findIntentUpstream(gw: Gateway, intent: BatchCreateIntent, deploymentId: string): Promise<ProviderBatch[]> {
  const provider = providerFor(gw, deploymentId);
  const since = Math.floor(intent.createdAt / 1000) - LOOKBACK_SECONDS;
  let providerFileId: string | undefined;
  if (!intent.tagged) {
    providerFileId = (await gw.em().findOne(FileReplica, { fileId: intent.inputFileId, deploymentId }))?.providerFileId;
    if (!providerFileId) return [];
  }
  const wanted = JSON.stringify(sorted((intent.request.metadata as Record<string, string> | null | undefined) ?? {}));
  const found: ProviderBatch[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { data, has_more } = await provider.listBatches({ after, limit: 100 });
    for (const b of data) {
      const metadata = (b.metadata as Record<string, string> | null | undefined) ?? {};
      if (
        intent.tagged
          ? metadata[INTENT_METADATA_KEY] === intent.id
          : b.input_file_id === providerFileId && JSON.stringify(sorted(metadata)) === wanted
      )
        found.push(b);
    }
    const oldest = data.at(-1);
    if (!has_more || !oldest || (typeof oldest.created_at === 'number' && oldest.created_at < since)) break;
    after = oldest.id;
  }
  if (intent.tagged) return found;
  const tracked = await gw.em().find(ManagedBatch, { deploymentId, providerBatchId: { $in: found.map((b) => b.id) } });
  return found.filter((b) => !tracked.some((t) => t.providerBatchId === b.id));
}

/**
 * Settles a `pending` intent whose create may have reached the provider without its answer reaching us (a crash,
 * a dropped connection): searches every deployment it tried; a batch found is adopted (tracked and billed once,
 * like any other), any further one is cancelled; none found means the provider made nothing: `failed`. The caller
 * must hold the intent's lease. A failed search (the provider unreachable) throws and leaves it pending.
 */
export async function reconcileIntent(gw: Gateway, intentId: string): Promise<BatchObject | null> {
  const intent = await gw.em().findOne(BatchCreateIntent, { id: intentId });
  if (intent?.state !== 'pending') return null;
  const found: { deploymentId: string; batch: ProviderBatch }[] = [];
  for (const deploymentId of intent.deployments) {
    for (const batch of await findIntentUpstream(gw, intent, deploymentId)) found.push({ deploymentId, batch });
  }
  if (found.length === 0) {
    await failIntent(gw, intent.id);
    gw.log.info(
      { event: 'batch_intent_failed', intent: intent.id, deployments: intent.deployments.length },
      'batch create intent settled: nothing was created upstream',
    );
    return null;
  }
  const [first, ...extra] = found;
  const deployment = gw.config.deployments.find((d) => d.id === first.deploymentId);
  const group =
    deployment?.modelGroup ??
    (await gw.em().findOne(FileReplica, { fileId: intent.inputFileId, deploymentId: first.deploymentId }))?.modelGroup ??
    'unknown';
  const object = await storeCreatedBatch(gw, intent, first.deploymentId, group, first.batch);
  gw.log.warn(
    { event: 'batch_adopted', batch_id: object.id, intent: intent.id },
    'a batch created upstream without its answer reaching us was found and adopted',
  );
  for (const e of extra) {
    await providerFor(gw, e.deploymentId)
      .cancelBatch(e.batch.id)
      .then(() =>
        gw.log.warn(
          { event: 'batch_duplicate_cancelled', intent: intent.id, deployment: e.deploymentId },
          'a second upstream batch of one create was cancelled',
        ),
      )
      .catch((err: unknown) =>
        gw.log.error(
          { event: 'batch_duplicate_cancel_failed', intent: intent.id, deployment: e.deploymentId, error: (err as Error).message },
          'could not cancel a second upstream batch of one create',
        ),
      );
  }
  return object;
}

/** Takes an intent's lease if nobody holds it (an expired lease counts as none). */
export async function claimIntent(gw: Gateway, intentId: string, owner: string): Promise<boolean> {
  const now = Date.now();
  const changed = await gw
    .em()
    .nativeUpdate(
      BatchCreateIntent,
      { id: intentId, state: 'pending', $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] },
      { leaseOwner: owner, leaseUntil: now + gw.config.tracking.leaseMs },
    );
  return changed > 0;
}

/**
 * An SDK retry of a create (same caller, same request, within RETRY_WINDOW_MS): the batch of the first attempt
 * if it made one (found upstream if its answer was lost), so a retry never makes a second upstream batch. Null:
 * the first attempt made nothing, create anew. While the first attempt is still running elsewhere, waits for it,
 * then answers 409 (the SDK retries that too).
 */
export async function findRetriedCreate(
  gw: Gateway,
  principal: Principal,
  requestHash: string,
  owner: string,
): Promise<BatchObject | null> {
  const since = Date.now() - RETRY_WINDOW_MS;
  const scope = callerScope(principal);
  const deadline = Date.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    const [intent] = await gw
      .em()
      .find(
        BatchCreateIntent,
        { callerScope: scope, requestHash, createdAt: { $gte: since } },
        { orderBy: { createdAt: 'desc' }, limit: 1 },
      );
    if (!intent || intent.state === 'failed') return null;
    if (intent.state === 'created' && intent.batchId) {
      gw.log.info(
        { event: 'batch_create_retry_answered', batch_id: intent.batchId },
        "an SDK retry of a batch create got the first attempt's batch",
      );
      return retrieveManagedBatch(gw, principal, intent.batchId);
    }
    if (await claimIntent(gw, intent.id, owner)) {
      const adopted = await reconcileIntent(gw, intent.id);
      if (adopted) return adopted;
      continue; // settled (failed), or settled by someone else meanwhile: read it again
    }
    if (Date.now() > deadline) {
      throw new GatewayError(
        'conflict',
        'The first attempt of this batch create is still in progress; retry shortly',
        null,
        'request_in_progress',
        1,
      );
    }
    await sleep(100);
  }
}

function sorted(m: Record<string, string>): [string, string][] {
  return Object.entries(m)
    .filter(([k]) => k !== INTENT_METADATA_KEY)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
