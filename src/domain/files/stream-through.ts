import type { Deployment } from '../../config/types.js';
import { mayUseGroup } from '../access/visibility.js';
import type { Principal } from '../access/principal.js';
import { providerFor, type Gateway } from '../gateway.js';
import { SpoolTap } from '../jsonl/spool.js';
import type { UploadFields, UploadSource } from './upload.js';
import { writeReplicas, type WrittenReplica } from './write-replicas.js';

/**
 * Files up to this size are validated whole before any byte goes upstream (and go with a Content-Length);
 * past it, the copies start while the rest is still arriving. A small file gains little from streaming, and a
 * bad line in it then costs nothing upstream, not even a cut-off request.
 */
export const STREAM_THROUGH_AFTER_BYTES = 8 * 1024 * 1024;

/**
 * The managed upload as a stream-through: when the upload's fields are known before its content (gRPC's
 * metadata message, tRPC's header line, a REST form whose fields precede the file), the copies to every
 * deployment start once more than STREAM_THROUGH_AFTER_BYTES have arrived, and each follows the spool's
 * validated lines from disk as they are written (SpoolTap). The END of every copy is held back until the whole
 * file has passed validation and the final fields are the ones the copies were started with (`finish`); on a
 * bad line, a limit, the caller leaving or a changed field, every copy is cut off mid-body (`abandon`), so no
 * file is created upstream. Memory does not grow with the file: what the copies have not sent yet is on disk.
 *
 * Otherwise (fields after the file, as the OpenAI SDK sends them; no target groups named; a Vertex target; a
 * small file) nothing starts here and the upload takes the whole-file path.
 */
export class StreamThrough {
  readonly tap: SpoolTap;
  /** Aborted when a copy fails before the file has been accepted: the spool stops reading the rest. */
  readonly copyFailed = new AbortController();
  private readonly halt = new AbortController();
  private copies: Promise<WrittenReplica[]> | null = null;
  private started: { fields: UploadFields; deployments: Deployment[] } | null = null;
  private considered = false;

  constructor(
    private readonly gw: Gateway,
    private readonly principal: Principal,
    private readonly source: UploadSource,
    private readonly fileId: string,
    private readonly caller?: AbortSignal,
    private readonly afterBytes = STREAM_THROUGH_AFTER_BYTES,
  ) {
    this.tap = new SpoolTap((bytes) => {
      if (bytes <= this.afterBytes || this.considered) return;
      this.considered = true;
      try {
        this.start();
      } catch (err) {
        // Only an optimisation: whatever went wrong here, the whole-file path still writes the copies.
        gw.log.warn(
          { event: 'upload_stream_through_skipped', error: String((err as Error)?.message ?? err) },
          'stream-through not started',
        );
      }
      if (!this.started) this.tap.template.stopKeeping(); // no copy will follow the spool
    });
  }

  private start(): void {
    if (this.caller?.aborted) return;
    const fields = this.source.fieldsNow?.();
    if (!fields) return;
    const deployments = streamableTargets(this.gw, this.principal, fields);
    if (!deployments) return;
    this.started = { fields, deployments };
    const copies = { bytesFor: () => undefined, read: (model: string) => this.tap.copyFor(model) };
    this.copies = writeReplicas(this.gw, copies, fields, deployments, this.fileId, this.caller, this.halt.signal);
    this.copies.catch((err: unknown) => {
      if (!this.halt.signal.aborted) this.copyFailed.abort(err);
    });
    this.gw.log.info({ event: 'upload_stream_through', copies: deployments.length }, 'copies started before the end of the upload');
  }

  /**
   * Once the file has been validated whole: when the copies in flight carry it for these final fields and
   * targets, lets their ends go and answers them (all or nothing, as writeReplicas does). Answers null when
   * nothing was streamed, or what was streamed does not fit (it is then cut off; take the whole-file path).
   */
  async finish(fields: UploadFields, deployments: Deployment[]): Promise<WrittenReplica[] | null> {
    if (!this.started || !this.copies) {
      this.tap.template.stopKeeping();
      return null;
    }
    if (!sameFields(this.started.fields, fields) || !sameDeployments(this.started.deployments, deployments)) {
      await this.abandon(new Error('the upload fields changed after its content began'));
      return null;
    }
    this.tap.template.release();
    return this.copies;
  }

  /** Cuts every copy off mid-body (their ends are held back, so none is stored) and waits until they stop. */
  async abandon(reason: unknown): Promise<void> {
    if (!this.copies) return;
    if (!this.halt.signal.aborted) this.halt.abort(reason);
    this.tap.template.fail(reason instanceof Error ? reason : new Error(String(reason)));
    await this.copies.catch(() => undefined);
  }

  /** Why the copies failed, when one did before the file was accepted. */
  get failure(): unknown {
    return this.copyFailed.signal.aborted ? this.copyFailed.signal.reason : undefined;
  }
}

/**
 * The deployments the early fields name, when a stream-through may write to them all; otherwise undefined and
 * the whole-file path decides (and gives the error, if the fields are wrong).
 */
function streamableTargets(gw: Gateway, principal: Principal, fields: UploadFields): Deployment[] | undefined {
  if (fields.purpose !== 'batch' || fields.targetModelNames.length === 0) return undefined;
  const deployments: Deployment[] = [];
  for (const name of fields.targetModelNames) {
    const group = gw.config.groups.get(name);
    if (!group || !mayUseGroup(principal, name)) return undefined;
    deployments.push(...group.deployments);
  }
  return deployments.every((d) => providerFor(gw, d.id).streamsUploads) ? deployments : undefined;
}

function sameFields(a: UploadFields, b: UploadFields): boolean {
  return (
    a.filename === b.filename &&
    a.purpose === b.purpose &&
    a.targetModelNames.join('\n') === b.targetModelNames.join('\n') &&
    a.expiresAfter?.anchor === b.expiresAfter?.anchor &&
    a.expiresAfter?.seconds === b.expiresAfter?.seconds
  );
}

function sameDeployments(a: Deployment[], b: Deployment[]): boolean {
  return a.length === b.length && a.every((d, i) => d.id === b[i].id);
}
