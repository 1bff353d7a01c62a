import { createHash, randomBytes } from 'node:crypto';
import { INTENT_TAG } from '../../providers/types.js';
import { BatchCreateIntent } from '../../db/entities/index.js';
import type { Principal } from '../access/principal.js';
import { ownerOf } from '../access/principal.js';
import { invalidRequest } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { CreateBatchInput } from './create-batch.js';

/**
 * The metadata key that tags an upstream batch with its create intent, so a create whose answer was lost can
 * be found upstream (reconcile-intent.ts). Reserved: a caller may not set it, and no response shows it.
 */
export const INTENT_METADATA_KEY = INTENT_TAG;
/** OpenAI's and Azure's limit on batch metadata pairs. */
const MAX_METADATA_PAIRS = 16;

/** The caller, as idempotency and retry detection see it: its key ID, or `master`. */
export function callerScope(principal: Principal): string {
  return principal.kind === 'master' ? 'master' : principal.keyId;
}

/** The request's identity: its fields in a fixed order (metadata keys sorted). */
export function hashCreateRequest(input: CreateBatchInput): string {
  const metadata = input.metadata
    ? Object.fromEntries(Object.entries(input.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : null;
  const canonical = JSON.stringify([
    input.input_file_id,
    input.endpoint,
    input.completion_window,
    metadata,
    input.output_expires_after ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export function assertNoReservedMetadata(input: CreateBatchInput): void {
  if (input.metadata && Object.hasOwn(input.metadata, INTENT_METADATA_KEY)) {
    throw invalidRequest(`The metadata key '${INTENT_METADATA_KEY}' is reserved by the gateway`, 'metadata', 'reserved_metadata_key');
  }
}

/**
 * The metadata sent upstream: the caller's, plus the tag when there is room. A caller already using all 16
 * pairs gets its metadata unchanged and an untagged intent (matched upstream by input file and metadata).
 */
export function taggedMetadata(
  intent: BatchCreateIntent,
  metadata: Record<string, string> | null | undefined,
): Record<string, string> | null | undefined {
  if (!intent.tagged) return metadata;
  return { ...(metadata ?? {}), [INTENT_METADATA_KEY]: intent.id };
}

/**
 * A response never shows the tag. Metadata that held only the tag is shown as null, what the provider answers
 * for a create without metadata (a caller who sent an explicit `{}` sees null too: the one difference).
 */
export function withoutTag(metadata: Record<string, string> | null | undefined): Record<string, string> | null {
  if (!metadata || !Object.hasOwn(metadata, INTENT_METADATA_KEY)) return metadata ?? null;
  const { [INTENT_METADATA_KEY]: _tag, ...rest } = metadata;
  // Only the tag: the caller sent none (gRPC cannot tell none from empty), and OpenAI shows none as null.
  return Object.keys(rest).length > 0 ? rest : null;
}

/**
 * Written before the provider is called, with the first deployment to try (one write on the create's path); the
 * creating request holds its lease while it works.
 */
export async function startIntent(
  gw: Gateway,
  principal: Principal,
  inputFileId: string,
  input: CreateBatchInput,
  leaseOwner: string,
  firstDeploymentId: string,
): Promise<BatchCreateIntent> {
  const em = gw.em();
  const now = Date.now();
  const intent = em.create(BatchCreateIntent, {
    id: `bci_${randomBytes(12).toString('hex')}`,
    callerScope: callerScope(principal),
    ...ownerOf(principal),
    inputFileId,
    requestHash: hashCreateRequest(input),
    request: { ...input } as Record<string, unknown>,
    deployments: [firstDeploymentId],
    tagged: Object.keys(input.metadata ?? {}).length < MAX_METADATA_PAIRS,
    state: 'pending',
    batchId: null,
    leaseOwner,
    leaseUntil: now + attemptLeaseMs(gw, firstDeploymentId),
    createdAt: now,
  });
  await em.flush();
  return intent;
}

/**
 * Before each attempt: the deployment joins the list the reconciler searches, and the lease covers the call
 * (the deployment's timeout, plus a margin), so no reconciler takes an intent whose create is still running.
 */
export async function recordAttempt(gw: Gateway, intent: BatchCreateIntent, deploymentId: string, leaseOwner: string): Promise<void> {
  if (intent.deployments.at(-1) === deploymentId) return; // the first one, recorded by startIntent
  intent.deployments = [...intent.deployments, deploymentId];
  intent.leaseUntil = Date.now() + attemptLeaseMs(gw, deploymentId);
  await gw
    .em()
    .nativeUpdate(BatchCreateIntent, { id: intent.id }, { deployments: intent.deployments, leaseOwner, leaseUntil: intent.leaseUntil });
}

/** An attempt's lease: the deployment's timeout plus a margin. */
function attemptLeaseMs(gw: Gateway, deploymentId: string): number {
  return (gw.config.deployments.find((d) => d.id === deploymentId)?.timeoutMs ?? 600_000) + gw.config.tracking.leaseMs;
}

/** Nothing was created upstream (every attempt was refused, or what was created got cancelled). */
export async function failIntent(gw: Gateway, intentId: string): Promise<void> {
  await gw
    .em()
    .nativeUpdate(BatchCreateIntent, { id: intentId, state: 'pending' }, { state: 'failed', leaseOwner: null, leaseUntil: null });
}

/** The answer may have been lost: leave the intent to the reconciler now (its lease ends at once). */
export async function leaveToReconciler(gw: Gateway, intentId: string): Promise<void> {
  await gw.em().nativeUpdate(BatchCreateIntent, { id: intentId, state: 'pending' }, { leaseOwner: null, leaseUntil: null });
}
