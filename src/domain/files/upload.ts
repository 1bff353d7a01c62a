import type { EntityManager } from '@mikro-orm/sql';
import { FileLayoutChunk, FileReplica, ManagedFile } from '../../db/entities/index.js';
import type { Deployment } from '../../config/types.js';
import type { ProviderFile } from '../../providers/types.js';
import { assertWithinBudget } from '../access/budget.js';
import { mayUseGroup } from '../access/visibility.js';
import { ownerOf, type Principal } from '../access/principal.js';
import { GatewayError, invalidRequest, uploadCancelled as cancelled } from '../errors.js';
import { emitEvent } from '../events.js';
import { providerFor, type Gateway } from '../gateway.js';
import { newFileId } from '../ids.js';
import { spoolBatchInput, type SpooledBatchInput } from '../jsonl/spool.js';
import { lineError } from '../jsonl/validate-line.js';
import { fromProviderError } from '../upstream-error.js';
import { assertTranslatable } from './check-translatable.js';
import { toFileObject, type FileObject } from './file-object.js';
import { deleteReplicasOrRecord, forgetUncommittedReplicas, recordUncommittedReplica } from './pending-deletes.js';

export interface UploadFields {
  filename: string;
  purpose: string;
  /** Empty: the model groups named by the lines' `body.model`. */
  targetModelNames: string[];
  expiresAfter?: { anchor: 'created_at'; seconds: number };
}

/**
 * A file upload as transports deliver it. Multipart forms may put the file before the other fields (the OpenAI
 * SDK does), so the fields are read only after the content has been consumed.
 */
export interface UploadSource {
  content: AsyncIterable<Uint8Array>;
  fields(): Promise<UploadFields>;
}

const AZURE_MIN_EXPIRY = 1_209_600; // Azure accepts 14–30 days only (upstream-batch-apis.md §4).
const LAYOUT_CHUNK_BYTES = 64 * 1024;

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}

/**
 * Managed upload: validate every line in one streamed pass, then write a copy (body.model → the deployment's
 * model) to every deployment of the target groups at once. All or nothing: if any copy fails, the copies
 * already written are deleted and the caller gets the error.
 *
 * Cancellation is a rollback until the file row commits: `signal` (the caller went away: a gRPC cancel or
 * deadline, a closed HTTP connection, an aborted tRPC call) is watched through validation, the copies and the
 * commit itself, and when it fires nothing stays (no row, no spool, no copy upstream). After the commit the
 * file stands, whether or not the answer reaches the caller. (A gRPC client's cancel reaches us as end-of-stream
 * first and as the signal a few ms later, which is why the stream's end alone proves nothing.)
 */
export async function uploadManagedFile(gw: Gateway, principal: Principal, source: UploadSource, signal?: AbortSignal): Promise<FileObject> {
  await assertWithinBudget(gw, principal);
  throwIfCancelled(signal);
  const spool = await spoolBatchInput(source.content, { maxBytes: gw.config.limits.maxFileBytes, maxLines: gw.config.limits.maxFileLines }, signal).catch((err) => {
    throw signal?.aborted ? cancelled() : err;
  });
  try {
    const fields = await source.fields();
    throwIfCancelled(signal);
    const deployments = resolveTargets(gw, principal, fields, spool);
    await assertTranslatable(spool, deployments); // a target whose wire format is not OpenAI's refuses lines it cannot carry
    const fileId = newFileId(); // before the copies: a provider may name its objects after it (GCS)
    const replicas = await writeReplicas(gw, spool, fields, deployments, fileId, signal);
    const createdAt = Math.floor(Date.now() / 1000);
    const file = {
      id: fileId,
      ...ownerOf(principal),
      filename: fields.filename,
      purpose: 'batch',
      kind: 'input',
      bytes: spool.originalBytes,
      createdAt,
      expiresAt: fields.expiresAfter ? createdAt + fields.expiresAfter.seconds : null,
      targetModelNames: [...new Set(deployments.map((d) => d.modelGroup))],
      endpoint: spool.endpoint,
      lineCount: spool.lines,
    };
    try {
      const em = gw.em();
      await em.transactional(async (tx) => {
        tx.create(ManagedFile, file);
        for (const r of replicas) {
          tx.create(FileReplica, {
            fileId: file.id,
            deploymentId: r.deployment.id,
            modelGroup: r.deployment.modelGroup,
            providerFileId: r.file.id,
            bytes: r.file.bytes ?? null,
            createdAt,
          });
        }
        await tx.flush();
        await forgetUncommittedReplicas(tx as unknown as EntityManager, replicas.map((r) => ({ deploymentId: r.deployment.id, providerFileId: r.file.id })));
        let seq = 0;
        for await (const data of spool.layout(LAYOUT_CHUNK_BYTES)) {
          await tx.insert(FileLayoutChunk, { fileId: file.id, seq: seq++, data });
        }
        // The last moment a departed caller can still undo the upload: throwing here rolls the rows back.
        throwIfCancelled(signal);
      });
    } catch (err) {
      await deleteReplicas(gw, replicas, 'commit failed');
      throw signal?.aborted ? cancelled() : err;
    }
    emitEvent(gw, { event: 'file_uploaded', file_id: file.id, bytes: file.bytes, lines: file.lineCount, replicas: replicas.length, groups: file.targetModelNames, key_id: file.ownerKeyId, team_id: file.ownerTeamId });
    return toFileObject(file as ManagedFile);
  } finally {
    await spool.dispose();
  }
}

function resolveTargets(gw: Gateway, principal: Principal, fields: UploadFields, spool: SpooledBatchInput): Deployment[] {
  if (fields.purpose !== 'batch') {
    throw invalidRequest(`purpose must be "batch" for managed files, got ${JSON.stringify(fields.purpose)}`, 'purpose');
  }
  const targets = fields.targetModelNames.length > 0 ? fields.targetModelNames : [...spool.models.keys()];
  for (const name of targets) {
    if (!gw.config.groups.has(name)) {
      throw new GatewayError('invalid_request', `Unknown model group '${name}' in target_model_names`, 'target_model_names', 'model_not_found');
    }
    if (!mayUseGroup(principal, name)) {
      throw new GatewayError('permission', `This key may not use model group '${name}'`, 'target_model_names', 'model_not_allowed');
    }
  }
  for (const [model, line] of spool.models) {
    if (!targets.includes(model)) {
      throw lineError(line, `"body.model" is '${model}', which is not one of target_model_names (${targets.join(', ')})`, 'model_mismatch');
    }
  }
  return targets.flatMap((name) => gw.config.groups.get(name)!.deployments);
}

interface WrittenReplica {
  deployment: Deployment;
  file: ProviderFile;
}

/**
 * Writes every copy at once. When one fails or the caller leaves, the others stop, but only those still
 * sending their body are aborted: a provider that has the whole body may store the file even if we stop
 * listening, and then we would never learn its ID. Those are waited for, and every copy written is deleted.
 */
async function writeReplicas(gw: Gateway, spool: SpooledBatchInput, fields: UploadFields, deployments: Deployment[], fileId: string, caller?: AbortSignal): Promise<WrittenReplica[]> {
  const stop = new AbortController();
  const onCaller = () => stop.abort();
  caller?.addEventListener('abort', onCaller, { once: true });
  if (caller?.aborted) stop.abort();
  let results: PromiseSettledResult<WrittenReplica>[];
  try {
    results = await Promise.allSettled(
      deployments.map(async (deployment): Promise<WrittenReplica> => {
        const expiresAfter =
          fields.expiresAfter && deployment.provider === 'azure'
            ? { ...fields.expiresAfter, seconds: Math.max(fields.expiresAfter.seconds, AZURE_MIN_EXPIRY) }
            : fields.expiresAfter;
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
              bytes: spool.bytesFor(deployment.model),
              body: () => {
                // Each attempt (retries included) starts here: none starts once we have stopped.
                if (stop.signal.aborted) attempt.abort();
                sending = true;
                return untilSent(spool.read(deployment.model), () => (sending = false));
              },
              expiresAfter,
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
      }),
    );
  } finally {
    caller?.removeEventListener('abort', onCaller);
  }
  const written = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = caller?.aborted
    ? { status: 'rejected' as const, reason: cancelled() }
    : (results.find((r) => r.status === 'rejected' && !(r.reason instanceof StoppedWrite)) ?? results.find((r) => r.status === 'rejected'));
  if (failure) {
    const reason = (failure as PromiseRejectedResult).reason;
    await deleteReplicas(gw, written, caller?.aborted ? 'caller left' : 'a copy failed');
    const why = caller?.aborted ? 'the caller left; copies rolled back' : 'replica write failed; rolled back';
    gw.log.warn({ event: caller?.aborted ? 'file_upload_cancelled' : 'file_upload_failed', written: written.length, of: deployments.length, error: String(reason?.message ?? reason) }, why);
    throw reason;
  }
  return written;
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
async function deleteReplicas(gw: Gateway, replicas: WrittenReplica[], why: string): Promise<void> {
  gw.log.info({ event: 'upload_rolled_back', why, replicas: replicas.length }, 'deleting the copies of an upload that did not commit');
  await deleteReplicasOrRecord(gw, replicas.map((r) => ({ deploymentId: r.deployment.id, providerFileId: r.file.id })), 'upload_rollback');
}
