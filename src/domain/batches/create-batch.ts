import { FileReplica, ManagedBatch } from '../../db/entities/index.js';
import { assertWithinBudget } from '../access/budget.js';
import type { Principal } from '../access/principal.js';
import { ownerOf } from '../access/principal.js';
import { mayUseGroup } from '../access/visibility.js';
import { GatewayError, invalidRequest } from '../errors.js';
import { emitEvent } from '../events.js';
import { providerFor, type Gateway } from '../gateway.js';
import { newBatchId } from '../ids.js';
import { findVisibleFile } from '../files/find-file.js';
import { rankDeployments } from '../routing/pick-deployment.js';
import { fromProviderError, isTransient } from '../upstream-error.js';
import type { ProviderBatch } from '../../providers/types.js';
import { TERMINAL_STATUSES, translateBatch, type BatchObject } from './translate-batch.js';

export interface CreateBatchInput {
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  metadata?: Record<string, string> | null;
  output_expires_after?: { anchor: 'created_at'; seconds: number };
}

let turn = 0;

/**
 * Creates the batch on one deployment holding a copy of the file: the least loaded healthy one, trying the
 * next on a transient failure. The unified batch is sticky to that deployment from then on.
 */
export async function createManagedBatch(gw: Gateway, principal: Principal, input: CreateBatchInput): Promise<BatchObject> {
  await assertWithinBudget(gw, principal);
  const em = gw.em();
  const file = await findVisibleFile(em, principal, input.input_file_id);
  if (file.kind !== 'input' || file.purpose !== 'batch') {
    throw invalidRequest(`File ${file.id} is not a batch input file`, 'input_file_id');
  }
  if (file.endpoint && file.endpoint !== input.endpoint) {
    throw invalidRequest(`The file's requests use ${file.endpoint} but the batch endpoint is ${input.endpoint}`, 'endpoint', 'url_mismatch');
  }
  const replicas = await em.find(FileReplica, { fileId: file.id });
  const usable = replicas.filter((r) => mayUseGroup(principal, r.modelGroup) && gw.config.deployments.some((d) => d.id === r.deploymentId));
  if (usable.length === 0) {
    const denied = replicas.find((r) => !mayUseGroup(principal, r.modelGroup));
    if (denied) throw new GatewayError('permission', `This key may not use model group '${denied.modelGroup}'`, 'input_file_id', 'model_not_allowed');
    throw new GatewayError('unavailable', 'No configured deployment holds this file any more', 'input_file_id', 'deployment_unavailable');
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

  let lastError: GatewayError | null = null;
  for (const deploymentId of order) {
    const replica = usable.find((r) => r.deploymentId === deploymentId)!;
    let upstream: ProviderBatch;
    try {
      upstream = await providerFor(gw, deploymentId).createBatch({ ...input, input_file_id: replica.providerFileId });
      gw.health.recordSuccess(deploymentId);
    } catch (err) {
      lastError = fromProviderError(err, 'Creating the batch');
      if (!isTransient(err)) throw lastError;
      gw.health.recordFailure(deploymentId, lastError.retryAfter);
      gw.log.warn({ event: 'batch_create_failover', deployment: deploymentId, error: lastError.message }, 'batch create failed; trying next deployment');
      continue;
    }
    return await storeNewBatch(gw, principal, file.id, replica, input, upstream);
  }
  throw lastError ?? new GatewayError('unavailable', 'No deployment could take the batch', null, 'deployment_unavailable');
}

async function storeNewBatch(
  gw: Gateway,
  principal: Principal,
  inputFileId: string,
  replica: FileReplica,
  input: CreateBatchInput,
  upstream: ProviderBatch,
): Promise<BatchObject> {
  const em = gw.em();
  const row = em.create(ManagedBatch, {
    id: newBatchId(),
    ...ownerOf(principal),
    inputFileId,
    deploymentId: replica.deploymentId,
    modelGroup: replica.modelGroup,
    providerBatchId: upstream.id,
    status: upstream.status,
    endpoint: input.endpoint,
    createdAt: typeof upstream.created_at === 'number' ? upstream.created_at : Math.floor(Date.now() / 1000),
    terminal: TERMINAL_STATUSES.has(upstream.status),
    snapshot: {},
    updatedAt: Date.now(),
    nextPollAt: Date.now() + gw.config.tracking.pollIntervalMs, // first look by the tracker (workers/)
  });
  try {
    const object = await translateBatch(gw, row, { metadata: input.metadata ?? null, ...upstream }); // upstream's metadata wins when it keeps one
    row.snapshot = object as unknown as Record<string, unknown>;
    row.outputFileId = object.output_file_id;
    row.errorFileId = object.error_file_id;
    await em.flush();
    emitEvent(gw, { event: 'batch_created', batch_id: row.id, model_group: row.modelGroup, deployment: row.deploymentId, input_file_id: inputFileId, key_id: row.ownerKeyId ?? null, team_id: row.ownerTeamId ?? null });
    return object;
  } catch (err) {
    // We could not record it: cancel upstream so that nothing runs (and bills) that nobody can see.
    await providerFor(gw, replica.deploymentId).cancelBatch(upstream.id).catch(() => undefined);
    throw err;
  }
}
