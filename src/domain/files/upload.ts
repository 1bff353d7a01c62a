import { ManagedFile, FileReplica } from '../../db/entities/index.js';
import type { Deployment } from '../../config/types.js';
import type { ProviderFile } from '../../providers/types.js';
import { assertWithinBudget } from '../access/budget.js';
import { mayUseGroup } from '../access/visibility.js';
import { ownerOf, type Principal } from '../access/principal.js';
import { GatewayError, invalidRequest } from '../errors.js';
import { emitEvent } from '../events.js';
import { providerFor, type Gateway } from '../gateway.js';
import { newFileId } from '../ids.js';
import { spoolBatchInput, type SpooledBatchInput } from '../jsonl/spool.js';
import { lineError } from '../jsonl/validate-line.js';
import { fromProviderError } from '../upstream-error.js';
import { toFileObject, type FileObject } from './file-object.js';
import { deleteReplicasOrRecord } from './pending-deletes.js';

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

/**
 * Managed upload: validate every line in one streamed pass, then write a copy (body.model → the deployment's
 * model) to every deployment of the target groups at once. All or nothing: if any copy fails, the copies
 * already written are deleted and the caller gets the error.
 */
export async function uploadManagedFile(gw: Gateway, principal: Principal, source: UploadSource): Promise<FileObject> {
  await assertWithinBudget(gw, principal);
  const spool = await spoolBatchInput(source.content, { maxBytes: gw.config.limits.maxFileBytes, maxLines: gw.config.limits.maxFileLines });
  try {
    const fields = await source.fields();
    const deployments = resolveTargets(gw, principal, fields, spool);
    const replicas = await writeReplicas(gw, spool, fields, deployments);
    const createdAt = Math.floor(Date.now() / 1000);
    const file = {
      id: newFileId(),
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
      });
    } catch (err) {
      await deleteReplicas(gw, replicas);
      throw err;
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

async function writeReplicas(gw: Gateway, spool: SpooledBatchInput, fields: UploadFields, deployments: Deployment[]): Promise<WrittenReplica[]> {
  const abort = new AbortController();
  const results = await Promise.allSettled(
    deployments.map(async (deployment): Promise<WrittenReplica> => {
      const expiresAfter =
        fields.expiresAfter && deployment.provider === 'azure'
          ? { ...fields.expiresAfter, seconds: Math.max(fields.expiresAfter.seconds, AZURE_MIN_EXPIRY) }
          : fields.expiresAfter;
      try {
        const file = await providerFor(gw, deployment.id).uploadFile(
          {
            filename: fields.filename,
            purpose: 'batch',
            bytes: spool.bytesFor(deployment.model),
            body: () => spool.read(deployment.model),
            expiresAfter,
          },
          abort.signal,
        );
        gw.health.recordSuccess(deployment.id);
        return { deployment, file };
      } catch (err) {
        abort.abort(); // one copy failed: the others are wasted work, stop them
        throw Object.assign(fromProviderError(err, `Writing the file to a deployment of '${deployment.modelGroup}'`), { deployment });
      }
    }),
  );
  const written = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r) => r.status === 'rejected' && !isAbortOnly(r.reason));
  const anyFailure = failure ?? results.find((r) => r.status === 'rejected');
  if (anyFailure) {
    await deleteReplicas(gw, written);
    const reason = (anyFailure as PromiseRejectedResult).reason;
    gw.log.warn({ event: 'file_upload_failed', written: written.length, of: deployments.length, error: String(reason?.message ?? reason) }, 'replica write failed; rolled back');
    throw reason;
  }
  return written;
}

/** An upload we aborted ourselves because a sibling failed is not the cause worth reporting. */
function isAbortOnly(reason: unknown): boolean {
  return reason instanceof GatewayError && /abort/i.test(reason.message);
}

/** A copy whose delete fails is recorded for the janitor (pending-deletes.ts), never just left upstream. */
async function deleteReplicas(gw: Gateway, replicas: WrittenReplica[]): Promise<void> {
  await deleteReplicasOrRecord(gw, replicas.map((r) => ({ deploymentId: r.deployment.id, providerFileId: r.file.id })), 'upload_rollback');
}
