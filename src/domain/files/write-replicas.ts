import type { Deployment } from '../../config/types.js';
import type { ProviderFile } from '../../providers/types.js';
import { GatewayError, uploadCancelled as cancelled } from '../errors.js';
import { providerFor, type Gateway } from '../gateway.js';
import { fromProviderError } from '../upstream-error.js';
import { deleteReplicasOrRecord, recordUncommittedReplica } from './pending-deletes.js';
import type { UploadFields } from './upload.js';

export interface WrittenReplica {
  deployment: Deployment;
  file: ProviderFile;
}

/** Where each deployment's copy comes from: the whole spool, or (stream-through) the spool as it grows. */
export interface CopySource {
  /** The copy's exact size, or undefined when it is not known yet (sent with chunked encoding). */
  bytesFor(model: string): number | undefined;
  /**
   * The copy's bytes, from the start; called once per upload attempt, and for the first attempts of all the
   * copies before any of them starts (copies of one model are then made once: jsonl/copies.ts).
   */
  read(model: string): AsyncIterable<Uint8Array>;
}

/**
 * Writes every copy at once. When one fails or the caller leaves, the others stop, but only those still
 * sending their body are aborted: a provider that has the whole body may store the file even if we stop
 * listening, and then we would never learn its ID. Those are waited for, and every copy written is deleted.
 * `halt`: the gateway gave up on the upload itself (a stream-through whose file failed validation); it stops
 * the copies like a caller leaving, and the promise then rejects with its reason.
 */
export async function writeReplicas(
  gw: Gateway,
  copies: CopySource,
  fields: UploadFields,
  deployments: Deployment[],
  fileId: string,
  caller?: AbortSignal,
  halt?: AbortSignal,
): Promise<WrittenReplica[]> {
  const stop = new AbortController();
  const onStop = () => stop.abort();
  for (const s of [caller, halt]) {
    s?.addEventListener('abort', onStop, { once: true });
    if (s?.aborted) stop.abort();
  }
  let results: PromiseSettledResult<WrittenReplica>[];
  try {
    const firstReads = deployments.map((deployment) => copies.read(deployment.model));
    results = await Promise.allSettled(
      deployments.map((deployment, i) => writeReplica(gw, copies, firstReads[i], fields, deployment, fileId, stop, caller)),
    );
  } finally {
    for (const s of [caller, halt]) s?.removeEventListener('abort', onStop);
  }
  const written = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = caller?.aborted
    ? { status: 'rejected' as const, reason: cancelled() }
    : halt?.aborted
      ? { status: 'rejected' as const, reason: halt.reason as unknown }
      : (results.find((r) => r.status === 'rejected' && !(r.reason instanceof StoppedWrite)) ??
        results.find((r) => r.status === 'rejected'));
  if (failure) {
    const reason = (failure as PromiseRejectedResult).reason;
    const why = caller?.aborted ? 'caller left' : halt?.aborted ? 'upload refused' : 'a copy failed';
    await deleteReplicas(gw, written, why);
    const event = caller?.aborted ? 'file_upload_cancelled' : halt?.aborted ? 'file_upload_refused' : 'file_upload_failed';
    gw.log[halt?.aborted && !caller?.aborted ? 'info' : 'warn'](
      { event, written: written.length, of: deployments.length, error: String(reason?.message ?? reason) },
      `copies stopped (${why}); rolled back`,
    );
    throw reason;
  }
  return written;
}

async function writeReplica(
  gw: Gateway,
  copies: CopySource,
  firstRead: AsyncIterable<Uint8Array> | undefined,
  fields: UploadFields,
  deployment: Deployment,
  fileId: string,
  stop: AbortController,
  caller?: AbortSignal,
): Promise<WrittenReplica> {
  const attempt = new AbortController();
  let sending = false;
  const onStop = () => {
    if (sending) attempt.abort();
  };
  stop.signal.addEventListener('abort', onStop, { once: true });
  try {
    if (stop.signal.aborted) throw stopped(caller);
    const file = await providerFor(gw, deployment.id).uploadFile(
      {
        filename: fields.filename,
        purpose: 'batch',
        managedFileId: fileId,
        bytes: copies.bytesFor(deployment.model),
        body: () => {
          // Each attempt (retries included) starts here: none starts once we have stopped.
          if (stop.signal.aborted) attempt.abort();
          sending = true;
          const body = firstRead ?? copies.read(deployment.model);
          firstRead = undefined;
          return untilSent(body, () => (sending = false));
        },
        expiresAfter: fields.expiresAfter, // a provider with limits of its own applies them (providers/azure)
      },
      attempt.signal,
    );
    gw.health.recordSuccess(deployment.id);
    await recordUncommittedReplica(gw, { deploymentId: deployment.id, providerFileId: file.id }); // write-ahead: see pending-deletes.ts
    return { deployment, file };
  } catch (err) {
    const stoppedByUs = attempt.signal.aborted;
    stop.abort(); // one copy failed: the others are wasted work, stop them
    if (stoppedByUs) throw stopped(caller);
    throw Object.assign(fromProviderError(err, `Writing the file to a deployment of '${deployment.modelGroup}'`), { deployment });
  } finally {
    stop.signal.removeEventListener('abort', onStop);
  }
}

/** A write we stopped ourselves (a sibling failed, or the caller left): not the cause worth reporting. */
class StoppedWrite extends GatewayError {}
const stopped = (caller?: AbortSignal) =>
  caller?.aborted ? cancelled() : new StoppedWrite('upstream', 'Stopped because another copy failed', null, 'upload_aborted');

/** The copy's bytes, telling `onSent` once the HTTP client has taken the last of them. */
async function* untilSent(body: AsyncIterable<Uint8Array>, onSent: () => void): AsyncGenerator<Uint8Array> {
  yield* body;
  onSent();
}

/** A copy whose delete fails is recorded for the janitor (pending-deletes.ts), never just left upstream. */
export async function deleteReplicas(gw: Gateway, replicas: WrittenReplica[], why: string): Promise<void> {
  if (replicas.length === 0) return;
  gw.log.info({ event: 'upload_rolled_back', why, replicas: replicas.length }, 'deleting the copies of an upload that did not commit');
  await deleteReplicasOrRecord(
    gw,
    replicas.map((r) => ({ deploymentId: r.deployment.id, providerFileId: r.file.id })),
    'upload_rollback',
  );
}
