import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { JWT } from 'google-auth-library';
import type { Deployment } from '../../config/types.js';
import { translatorFor, type LineTranslator, type OpenAIBatchLine } from '../../translation/index.js';
import { UpstreamClient, type UpstreamObserver } from '../http/client.js';
import type { BatchProvider, ContentStream, CreateBatchRequest, ProviderBatch, ProviderFile, UploadRequest } from '../types.js';
import { ProviderError } from '../types.js';
import { accessToken, serviceAccountClient } from './auth.js';
import { toProviderBatch, type BatchPredictionJob } from './batch-state.js';
import { BatchBucket } from './bucket.js';
import { metadataLabels } from './metadata-labels.js';
import { convertedOutput } from './output-lines.js';
import { splitJsonLines } from './split-lines.js';

/**
 * Vertex AI batch prediction for Gemini models behind the BatchProvider interface. Files live in the
 * deployment's GCS bucket; a "provider file ID" is a `gs://` URI (an input replica) or a finished job's output
 * directory with `#output`/`#errors` (its predictions, converted to OpenAI lines on read). The line formats
 * are the translation layer's business (src/translation/); this folder only moves bytes and jobs.
 */
export function createVertexProvider(d: Deployment, secrets: string[] = [], observer?: UpstreamObserver): VertexProvider {
  if (!d.vertex) throw new Error(`deployment ${d.id} has no Vertex settings`);
  const auth = serviceAccountClient(d.vertex.credentials);
  const jobs = new UpstreamClient({
    baseUrl: `${d.apiBase}/v1/projects/${encodeURIComponent(d.vertex.project)}/locations/${encodeURIComponent(d.vertex.location)}`,
    headers: {},
    timeoutMs: d.timeoutMs,
    secrets: [...secrets, d.vertex.credentials.private_key],
    deploymentId: d.id,
    observer,
  });
  return new VertexProvider(d, auth, jobs, new BatchBucket(d.vertex, auth), translatorFor('vertex_ai')!);
}

export class VertexProvider implements BatchProvider {
  /** The copy is translated and read twice (the Gemini lines and the OpenAI-format request copy): whole files only. */
  readonly streamsUploads = false;

  constructor(
    private readonly deployment: Deployment,
    private readonly auth: JWT,
    private readonly jobs: UpstreamClient,
    private readonly bucket: BatchBucket,
    private readonly translator: LineTranslator,
  ) {}

  /**
   * Two objects per replica, streamed at once: the Gemini lines the job reads (its URI is the provider file
   * ID), and the request copy as given (`….openai.jsonl`), which is what fileContent serves for an input file —
   * the same "copy written for this deployment" every other provider serves, so the gateway can rebuild the
   * caller's upload from any replica. Both or neither: if one write fails, the other object is deleted.
   */
  async uploadFile(req: UploadRequest, signal?: AbortSignal): Promise<ProviderFile> {
    // gs://<bucket>/sluice/<file id>/<deployment>.jsonl: an operator finds a file's objects by its unified ID.
    const name = `sluice/${req.managedFileId ?? `upload-${randomUUID()}`}/${this.deployment.id}.jsonl`;
    const translator = this.translator;
    async function* converted(): AsyncGenerator<Uint8Array> {
      for await (const lines of splitJsonLines(req.body())) {
        yield Buffer.from(lines.map((l) => translator.toProviderLine(JSON.parse(l) as OpenAIBatchLine) + '\n').join(''));
      }
    }
    const writes = await Promise.allSettled([
      this.bucket.upload(name, converted(), signal),
      this.bucket.upload(requestCopyOf(name), req.body(), signal),
    ]);
    const failed = writes.find((w) => w.status === 'rejected');
    if (failed) {
      await Promise.allSettled(
        writes.map((w, i) => (w.status === 'fulfilled' ? this.bucket.delete(i === 0 ? name : requestCopyOf(name)) : undefined)),
      );
      throw (failed as PromiseRejectedResult).reason;
    }
    const { size, created } = (writes[0] as PromiseFulfilledResult<{ size: number; created: number }>).value;
    return {
      id: this.uri(name),
      bytes: size,
      created_at: Math.floor(created / 1000),
      filename: req.filename,
      purpose: req.purpose,
      status: 'processed',
    };
  }

  async getFile(id: string): Promise<ProviderFile> {
    const ref = this.parse(id);
    if (ref.kind === 'object') {
      const meta = await this.bucket.metadata(ref.name);
      return {
        id,
        bytes: meta.size,
        created_at: Math.floor(meta.created / 1000),
        filename: basename(ref.name),
        purpose: 'batch',
        status: 'processed',
      };
    }
    // The converted size is known only by converting: count it once, streaming (registration calls this once).
    let bytes = 0;
    for await (const chunk of (await this.fileContent(id)).body) bytes += (chunk as Buffer).length;
    return {
      id,
      bytes,
      created_at: Math.floor(Date.now() / 1000),
      filename: ref.kind === 'output' ? 'batch_output.jsonl' : 'batch_errors.jsonl',
      purpose: 'batch_output',
      status: 'processed',
    };
  }

  /**
   * Deletes an input replica's object. A job's predictions are left in place: its output and error files share
   * them, so deleting one must not empty the other (a bucket lifecycle rule on `sluice/batches/` ages them out).
   */
  async deleteFile(id: string): Promise<void> {
    const ref = this.parse(id);
    if (ref.kind !== 'object') return;
    await this.bucket.delete(ref.name);
    // The request copy goes too; a replica written before it existed has none.
    await this.bucket.delete(requestCopyOf(ref.name)).catch((err: unknown) => {
      if (!(err instanceof ProviderError && err.status === 404)) throw err;
    });
  }

  async fileContent(id: string): Promise<ContentStream> {
    const ref = this.parse(id);
    if (ref.kind === 'object') {
      const copy = await this.bucket.read(requestCopyOf(ref.name)).catch(() => null);
      return { body: copy ?? (await this.bucket.read(ref.name)), contentType: 'application/jsonl' };
    }
    const objects = (await this.bucket.list(`${ref.dir}/`)).filter((n) => /\/predictions[^/]*\.jsonl$/.test(n));
    if (objects.length === 0) throw new ProviderError(404, 'The batch prediction output is no longer in the bucket');
    const streams = async () => Promise.all(objects.map((n) => this.bucket.read(n)));
    return { body: convertedOutput(streams, this.translator, ref.kind), contentType: 'application/jsonl' };
  }

  async createBatch(req: CreateBatchRequest): Promise<ProviderBatch> {
    if (!this.translator.endpoints.includes(req.endpoint)) {
      throw new ProviderError(
        400,
        `Vertex AI Gemini deployments take ${this.translator.endpoints.join(', ')} batches only, not ${req.endpoint}`,
        'unsupported_endpoint',
        'endpoint',
      );
    }
    const job = await this.call<BatchPredictionJob>('POST', '/batchPredictionJobs', {
      displayName: `sluice-${randomUUID()}`,
      model: `publishers/google/models/${this.deployment.model}`,
      inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: [req.input_file_id] } },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: this.uri(`sluice/batches/${randomUUID()}`) } },
      labels: metadataLabels(req.metadata),
    });
    return toProviderBatch(job, jobIdOf(job.name));
  }

  async getBatch(id: string): Promise<ProviderBatch> {
    return toProviderBatch(
      await this.call<BatchPredictionJob>('GET', `/batchPredictionJobs/${encodeURIComponent(id)}`, undefined, true),
      id,
    );
  }

  /** `:cancel` answers with an empty body; the job's new state comes from a get. */
  async cancelBatch(id: string): Promise<ProviderBatch> {
    try {
      await this.call('POST', `/batchPredictionJobs/${encodeURIComponent(id)}:cancel`, {});
    } catch (err) {
      // Vertex refuses to cancel a finished job in its own words; say it as OpenAI does.
      if (!(err instanceof ProviderError) || err.status !== 400) throw err;
      const job = await this.getBatch(id);
      if (['completed', 'failed', 'expired', 'cancelled'].includes(job.status)) {
        throw new ProviderError(400, `Cannot cancel a batch with status '${job.status}'.`, 'batch_not_cancellable');
      }
      throw err;
    }
    return this.getBatch(id);
  }

  /**
   * One page of the deployment's jobs, newest first. Vertex pages with tokens, not with a batch ID, so the token
   * that follows each page's last job is remembered; an `after` this process never handed out starts from the
   * first page and skips up to it.
   */
  async listBatches(page: { after?: string; limit?: number } = {}): Promise<{ data: ProviderBatch[]; has_more: boolean }> {
    const size = Math.min(Math.max(page.limit ?? 100, 1), 1000);
    let token = page.after ? this.pageTokens.get(page.after) : undefined;
    let skipping = Boolean(page.after && token === undefined);
    const out: ProviderBatch[] = [];
    let leftOver = false; // the page that filled `out` had more jobs: its token would skip them
    for (;;) {
      const q = new URLSearchParams({ pageSize: String(size) });
      if (token) q.set('pageToken', token);
      const res = await this.call<{ batchPredictionJobs?: BatchPredictionJob[]; nextPageToken?: string }>(
        'GET',
        `/batchPredictionJobs?${q}`,
        undefined,
        true,
      );
      for (const job of res.batchPredictionJobs ?? []) {
        const id = jobIdOf(job.name);
        if (skipping) {
          if (id === page.after) skipping = false;
          continue;
        }
        if (out.length < size) out.push(toProviderBatch(job, id));
        else leftOver = true;
      }
      token = res.nextPageToken || undefined;
      if (out.length >= size || !token) break;
    }
    const last = out.at(-1);
    if (last && token && !leftOver) this.rememberToken(last.id, token);
    return { data: out, has_more: Boolean(token) || leftOver };
  }

  private readonly pageTokens = new Map<string, string>();

  private rememberToken(afterId: string, token: string): void {
    this.pageTokens.set(afterId, token);
    if (this.pageTokens.size > 1000) this.pageTokens.delete(this.pageTokens.keys().next().value!);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, json?: unknown, retry = false): Promise<T> {
    let token: string;
    try {
      token = await accessToken(this.auth);
    } catch (err) {
      // A refused service account is the operator's problem: a 401 from upstream, never the caller's.
      throw new ProviderError(401, `Vertex AI: could not get an access token (${(err as Error).message.split('\n')[0]})`);
    }
    try {
      return await this.jobs.json<T>({ method, path, json, retry, headers: { authorization: `Bearer ${token}` } });
    } catch (err) {
      // Google's envelope carries the HTTP status again as a numeric `code`: no code of OpenAI's, so none.
      if (err instanceof ProviderError && err.providerCode !== null && typeof err.providerCode !== 'string') {
        throw new ProviderError(err.status, err.message, null, err.providerParam, err.retryAfter);
      }
      throw err;
    }
  }

  private uri(name: string): string {
    return `gs://${this.bucket.name}/${name}`;
  }

  private parse(id: string): { kind: 'object'; name: string } | { kind: 'output' | 'error'; dir: string } {
    const m = /^gs:\/\/([^/]+)\/(.+?)(#output|#errors)?$/.exec(id);
    if (!m || m[1] !== this.bucket.name) throw new ProviderError(404, 'No such file in this deployment');
    if (!m[3]) return { kind: 'object', name: m[2] };
    return { kind: m[3] === '#output' ? 'output' : 'error', dir: m[2] };
  }
}

const jobIdOf = (name: string) => name.split('/').pop() ?? name;
/** `…/<deployment>.jsonl` → `…/<deployment>.openai.jsonl`: the OpenAI-format copy beside the Gemini lines. */
const requestCopyOf = (name: string) => name.replace(/\.jsonl$/, '') + '.openai.jsonl';
