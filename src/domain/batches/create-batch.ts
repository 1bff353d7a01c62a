import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { FileReplica, ManagedBatch, type BatchCreateIntent } from '../../db/entities/index.js';
import { ProviderError, type ProviderBatch } from '../../providers/types.js';
import { assertWithinBudget } from '../access/budget.js';
import type { Principal } from '../access/principal.js';
import { mayUseGroup } from '../access/visibility.js';
import { GatewayError, invalidRequest, noDeploymentForBatch } from '../errors.js';
import { providerFor, type Gateway } from '../gateway.js';
import { findVisibleFile } from '../files/find-file.js';
import { rankDeployments } from '../routing/pick-deployment.js';
import { fromProviderError, isTransient } from '../upstream-error.js';
import {
  assertNoReservedMetadata,
  failIntent,
  hashCreateRequest,
  leaveToReconciler,
  recordAttempt,
  startIntent,
  taggedMetadata,
} from './create-intent.js';
import { findIntentUpstream, findRetriedCreate } from './reconcile-intent.js';
import { storeCreatedBatch } from './store-created-batch.js';
import type { BatchObject } from './translate-batch.js';

export interface CreateBatchInput {
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  metadata?: Record<string, string> | null;
  output_expires_after?: { anchor: 'created_at'; seconds: number };
}

export interface CreateBatchOptions {
  /** The caller says this is a retry of a request it sent before (`X-Stainless-Retry-Count` > 0). */
  sdkRetry?: boolean;
}

/** Who holds an intent's lease while a request of this process works on it. */
const REQUEST_LEASE_OWNER = `req:${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`.slice(-64);

let turn = 0;

/**
 * Creates the batch on one deployment holding a copy of the file: the least loaded healthy one, trying the
 * next on a transient failure. The unified batch is sticky to that deployment from then on.
 *
 * Exactly once: an intent (caller, input file, request hash, deployments tried) is written before the provider
 * is called, and the upstream batch carries its ID in metadata (create-intent.ts). When an answer is lost (a
 * dropped connection, a timeout, a 5xx after the fact) the deployment is searched for the tag before anything
 * else is tried; after a crash the reconciler (workers/create-reconciler.ts) does the same. An SDK retry of the
 * same request gets the first attempt's batch. A caller that goes away mid-create does not stop it: the batch is
 * kept, recorded and billed, and the SDK's retry (or a list) finds it.
 */
export async function createManagedBatch(
  gw: Gateway,
  principal: Principal,
  input: CreateBatchInput,
  opts: CreateBatchOptions = {},
): Promise<BatchObject> {
  assertNoReservedMetadata(input);
  await assertWithinBudget(gw, principal);
  const em = gw.em();
  const file = await findVisibleFile(em, principal, input.input_file_id);
  if (file.kind !== 'input' || file.purpose !== 'batch') {
    throw invalidRequest(`File ${file.id} is not a batch input file`, 'input_file_id');
  }
  if (file.endpoint && file.endpoint !== input.endpoint) {
    throw invalidRequest(
      `The file's requests use ${file.endpoint} but the batch endpoint is ${input.endpoint}`,
      'endpoint',
      'url_mismatch',
    );
  }
  const replicas = await em.find(FileReplica, { fileId: file.id });
  const usable = replicas.filter((r) => mayUseGroup(principal, r.modelGroup) && gw.config.deployments.some((d) => d.id === r.deploymentId));
  if (usable.length === 0) {
    const denied = replicas.find((r) => !mayUseGroup(principal, r.modelGroup));
    if (denied)
      throw new GatewayError('permission', `This key may not use model group '${denied.modelGroup}'`, 'input_file_id', 'model_not_allowed');
    throw new GatewayError('unavailable', 'No configured deployment holds this file any more', 'input_file_id', 'deployment_unavailable');
  }
  if (opts.sdkRetry) {
    const earlier = await findRetriedCreate(gw, principal, hashCreateRequest(input), REQUEST_LEASE_OWNER);
    if (earlier) return earlier;
  }
  const order = rankDeployments(
    await Promise.all(
      usable.map(async (r) => ({
        deploymentId: r.deploymentId,
        activeBatches: await em.count(ManagedBatch, { deploymentId: r.deploymentId, terminal: false }),
      })),
    ),
    gw.health,
    turn++,
  );

  if (order.length === 0) throw noDeploymentForBatch();
  const intent = await startIntent(gw, principal, file.id, input, REQUEST_LEASE_OWNER, order[0]);
  let lastError: GatewayError | null = null;
  for (const deploymentId of order) {
    const replica = usable.find((r) => r.deploymentId === deploymentId)!;
    let upstream: ProviderBatch;
    await recordAttempt(gw, intent, deploymentId, REQUEST_LEASE_OWNER);
    try {
      upstream = await providerFor(gw, deploymentId).createBatch({
        ...input,
        input_file_id: replica.providerFileId,
        metadata: taggedMetadata(intent, input.metadata),
      });
      gw.health.recordSuccess(deploymentId);
    } catch (err) {
      lastError = fromProviderError(err, 'Creating the batch');
      if (answerMayBeLost(err)) {
        const adopted = await adoptIfCreated(gw, intent, replica, lastError);
        if (adopted) return adopted;
      }
      if (!isTransient(err)) {
        await failIntent(gw, intent.id);
        throw lastError;
      }
      gw.health.recordFailure(deploymentId, lastError.retryAfter);
      gw.log.warn(
        { event: 'batch_create_failover', deployment: deploymentId, error: lastError.message },
        'batch create failed; trying next deployment',
      );
      continue;
    }
    return storeOrCancel(gw, intent, replica, upstream);
  }
  await failIntent(gw, intent.id);
  throw lastError ?? noDeploymentForBatch();
}

/** No answer, or a 5xx: the provider may have made the batch all the same. 429 and 4xx are refusals. */
function answerMayBeLost(err: unknown): boolean {
  return err instanceof ProviderError && (err.status === 0 || (err.status >= 500 && err.status !== 503));
}

/**
 * After an answer that may have been lost: look for the tagged batch on that deployment now. Found: adopt it.
 * Not found: the provider made nothing, so the next deployment may be tried. The search itself failing: stop
 * here and leave the intent to the reconciler (trying elsewhere could make a second batch).
 */
async function adoptIfCreated(
  gw: Gateway,
  intent: BatchCreateIntent,
  replica: FileReplica,
  cause: GatewayError,
): Promise<BatchObject | null> {
  let found: ProviderBatch[];
  try {
    found = await findIntentUpstream(gw, intent, replica.deploymentId);
  } catch {
    await leaveToReconciler(gw, intent.id);
    throw cause;
  }
  if (found.length === 0) return null;
  gw.log.warn(
    { event: 'batch_create_answer_lost', intent: intent.id, deployment: replica.deploymentId },
    'the provider made the batch but its answer was lost; adopting it',
  );
  return storeCreatedBatch(gw, intent, replica.deploymentId, replica.modelGroup, found[0]);
}

async function storeOrCancel(gw: Gateway, intent: BatchCreateIntent, replica: FileReplica, upstream: ProviderBatch): Promise<BatchObject> {
  try {
    return await storeCreatedBatch(gw, intent, replica.deploymentId, replica.modelGroup, upstream);
  } catch (err) {
    // We could not record it: cancel upstream so that nothing runs (and bills) that nobody can see. If even the
    // cancel fails, the intent stays pending and the reconciler adopts the batch later.
    try {
      await providerFor(gw, replica.deploymentId).cancelBatch(upstream.id);
      await failIntent(gw, intent.id);
    } catch {
      await leaveToReconciler(gw, intent.id).catch(() => undefined);
    }
    throw err;
  }
}
