import type { EntityManager } from '@mikro-orm/sql';
import { FileLayoutChunk, FileReplica, ManagedFile } from '../../db/entities/index.js';
import type { Deployment } from '../../config/types.js';
import { assertWithinBudget } from '../access/budget.js';
import { mayUseGroup } from '../access/visibility.js';
import { ownerOf, type Principal } from '../access/principal.js';
import { GatewayError, invalidRequest, uploadCancelled as cancelled } from '../errors.js';
import { emitEvent } from '../events.js';
import type { Gateway } from '../gateway.js';
import { newFileId } from '../ids.js';
import { spoolBatchInput, type SpooledBatchInput } from '../jsonl/spool.js';
import { lineError } from '../jsonl/validate-line.js';
import { assertTranslatable } from './check-translatable.js';
import { toFileObject, type FileObject } from './file-object.js';
import { forgetUncommittedReplicas } from './pending-deletes.js';
import { StreamThrough } from './stream-through.js';
import { deleteReplicas, writeReplicas, type WrittenReplica } from './write-replicas.js';

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
  /**
   * The fields as far as they are known while the content is still streaming, or undefined when they come
   * after it. Only a hint for the stream-through (stream-through.ts): `fields()` stays the final word, and
   * copies started on fields that then differ are cut off and written again.
   */
  fieldsNow?(): UploadFields | undefined;
}

const LAYOUT_CHUNK_BYTES = 64 * 1024;

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}

/**
 * Managed upload: validate every line in one streamed pass, then write a copy (body.model → the deployment's
 * model) to every deployment of the target groups at once. All or nothing: if any copy fails, the copies
 * already written are deleted and the caller gets the error. A big file whose target groups are known before
 * its content has its copies sent while it is still validated (stream-through.ts), their ends held back until
 * it has passed; otherwise (and for files up to 8 MiB) the copies start once validation is over.
 *
 * Cancellation is a rollback until the file row commits: `signal` (the caller went away: a gRPC cancel or
 * deadline, a closed HTTP connection, an aborted tRPC call) is watched through validation, the copies and the
 * commit itself, and when it fires nothing stays (no row, no spool, no copy upstream). After the commit the
 * file stands, whether or not the answer reaches the caller. (A gRPC client's cancel reaches us as end-of-stream
 * first and as the signal a few ms later, which is why the stream's end alone proves nothing.)
 */
export async function uploadManagedFile(
  gw: Gateway,
  principal: Principal,
  source: UploadSource,
  signal?: AbortSignal,
): Promise<FileObject> {
  await assertWithinBudget(gw, principal);
  throwIfCancelled(signal);
  // Fields that came before the file (gRPC's metadata, tRPC's header or form) are checked before any of it is
  // read: a wrong purpose or a group the caller may not use is refused at once, not after 200 MB.
  const early = source.fieldsNow?.();
  if (early) checkFields(gw, principal, early, early.targetModelNames);
  const fileId = newFileId(); // before the copies: a provider may name its objects after it (GCS)
  const through = new StreamThrough(gw, principal, source, fileId, signal);
  const limits = { maxBytes: gw.config.limits.maxFileBytes, maxLines: gw.config.limits.maxFileLines };
  const spoolSignal = signal ? AbortSignal.any([signal, through.copyFailed.signal]) : through.copyFailed.signal;
  const spool = await spoolBatchInput(source.content, limits, spoolSignal, through.tap).catch(async (err: unknown) => {
    const reason = signal?.aborted ? cancelled() : (through.failure ?? err);
    await through.abandon(reason);
    throw reason;
  });
  try {
    let fields: UploadFields;
    let deployments: Deployment[];
    let streamed: WrittenReplica[] | null;
    try {
      fields = await source.fields();
      throwIfCancelled(signal);
      deployments = resolveTargets(gw, principal, fields, spool);
      await assertTranslatable(spool, deployments); // a target whose wire format is not OpenAI's refuses lines it cannot carry
      streamed = await through.finish(fields, deployments);
    } catch (err) {
      await through.abandon(err);
      throw signal?.aborted ? cancelled() : err;
    }
    const replicas = streamed ?? (await writeReplicas(gw, spool, fields, deployments, fileId, signal));
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
        await forgetUncommittedReplicas(
          tx as unknown as EntityManager,
          replicas.map((r) => ({ deploymentId: r.deployment.id, providerFileId: r.file.id })),
        );
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
    emitEvent(gw, {
      event: 'file_uploaded',
      file_id: file.id,
      bytes: file.bytes,
      lines: file.lineCount,
      replicas: replicas.length,
      groups: file.targetModelNames,
      key_id: file.ownerKeyId,
      team_id: file.ownerTeamId,
    });
    return toFileObject(file as ManagedFile);
  } finally {
    await spool.dispose();
  }
}

function resolveTargets(gw: Gateway, principal: Principal, fields: UploadFields, spool: SpooledBatchInput): Deployment[] {
  const targets = fields.targetModelNames.length > 0 ? fields.targetModelNames : [...spool.models.keys()];
  checkFields(gw, principal, fields, targets);
  for (const [model, line] of spool.models) {
    if (!targets.includes(model)) {
      throw lineError(line, `"body.model" is '${model}', which is not one of target_model_names (${targets.join(', ')})`, 'model_mismatch');
    }
  }
  return targets.flatMap((name) => gw.config.groups.get(name)!.deployments);
}

/** What the fields alone decide: the purpose, and that the groups exist and this caller may use them. */
function checkFields(gw: Gateway, principal: Principal, fields: UploadFields, targets: string[]): void {
  if (fields.purpose !== 'batch') {
    throw invalidRequest(`purpose must be "batch" for managed files, got ${JSON.stringify(fields.purpose)}`, 'purpose');
  }
  for (const name of targets) {
    if (!gw.config.groups.has(name)) {
      throw new GatewayError(
        'invalid_request',
        `Unknown model group '${name}' in target_model_names`,
        'target_model_names',
        'model_not_found',
      );
    }
    if (!mayUseGroup(principal, name)) {
      throw new GatewayError('permission', `This key may not use model group '${name}'`, 'target_model_names', 'model_not_allowed');
    }
  }
}
