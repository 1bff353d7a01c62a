import type { Readable } from 'node:stream';
import type { UpstreamClient } from './http/client.js';
import { multipartUpload } from './http/multipart.js';
import type { BatchProvider, ContentStream, CreateBatchRequest, ProviderBatch, ProviderFile, UploadRequest } from './types.js';

/**
 * The Files + Batches calls that OpenAI and Azure share (same paths under their base URL, same shapes).
 * Provider folders supply the client (base URL, auth, api-version) and normalise their quirks.
 */
export class OpenAICompatibleProvider implements BatchProvider {
  /** A multipart body goes out chunked when its length is not known. */
  readonly streamsUploads = true;

  /** Each reused upstream answer's normalised form (getBatch). */
  private readonly normalised = new WeakMap<ProviderBatch, ProviderBatch>();

  constructor(protected readonly http: UpstreamClient) {}

  async uploadFile(req: UploadRequest, signal?: AbortSignal): Promise<ProviderFile> {
    const fields: Record<string, string> = { purpose: req.purpose };
    if (req.expiresAfter) {
      fields['expires_after[anchor]'] = req.expiresAfter.anchor;
      fields['expires_after[seconds]'] = String(req.expiresAfter.seconds);
    }
    const form = multipartUpload(fields, {
      name: 'file',
      filename: req.filename,
      contentType: 'application/jsonl',
      bytes: req.bytes,
      body: req.body,
    });
    const file = await this.http.json<ProviderFile>({
      method: 'POST',
      path: '/files',
      // Without a length (a stream-through copy) undici sends the body with chunked transfer encoding.
      headers: {
        'content-type': form.contentType,
        ...(form.contentLength === undefined ? {} : { 'content-length': String(form.contentLength) }),
      },
      body: () => form.body(),
      retry: true,
      signal,
    });
    return this.normaliseFile(file);
  }

  async getFile(id: string): Promise<ProviderFile> {
    return this.normaliseFile(await this.http.json<ProviderFile>({ method: 'GET', path: `/files/${enc(id)}`, retry: true }));
  }

  async deleteFile(id: string): Promise<void> {
    await this.http.json({ method: 'DELETE', path: `/files/${enc(id)}`, retry: true });
  }

  async fileContent(id: string, signal?: AbortSignal): Promise<ContentStream> {
    const res = await this.http.stream({
      method: 'GET',
      path: `/files/${enc(id)}/content`,
      headers: { accept: 'application/binary' },
      retry: true,
      signal,
    });
    const length = Number(res.headers['content-length']);
    return {
      body: res.body as Readable,
      contentType: String(res.headers['content-type'] ?? 'application/octet-stream'),
      contentLength: Number.isFinite(length) ? length : undefined,
    };
  }

  async createBatch(req: CreateBatchRequest): Promise<ProviderBatch> {
    // Not retried: the SDKs send no idempotency key, so a retry could create a second batch upstream.
    return this.normaliseBatch(await this.http.json<ProviderBatch>({ method: 'POST', path: '/batches', json: req }));
  }

  async getBatch(id: string): Promise<ProviderBatch> {
    // An unchanged answer comes back as the same object (UpstreamClient's `reuse`), and so does its normalised
    // form: BatchProvider.getBatch's promise to the domain, which then skips its work for a state it has seen.
    const raw = await this.http.json<ProviderBatch>({
      method: 'GET',
      path: `/batches/${enc(id)}`,
      route: '/batches/{id}',
      retry: true,
      reuse: true,
    });
    let batch = this.normalised.get(raw);
    if (!batch) {
      batch = this.normaliseBatch(raw);
      this.normalised.set(raw, batch);
    }
    return batch;
  }

  async cancelBatch(id: string): Promise<ProviderBatch> {
    return this.normaliseBatch(await this.http.json<ProviderBatch>({ method: 'POST', path: `/batches/${enc(id)}/cancel` }));
  }

  async listBatches(page: { after?: string; limit?: number } = {}): Promise<{ data: ProviderBatch[]; has_more: boolean }> {
    const q = new URLSearchParams({ limit: String(page.limit ?? 100) });
    if (page.after) q.set('after', page.after);
    const list = await this.http.json<{ data?: ProviderBatch[]; has_more?: boolean }>({
      method: 'GET',
      path: `/batches?${q}`,
      retry: true,
    });
    return { data: (list.data ?? []).map((b) => this.normaliseBatch(b)), has_more: list.has_more === true };
  }

  protected normaliseFile(file: ProviderFile): ProviderFile {
    return file;
  }

  protected normaliseBatch(batch: ProviderBatch): ProviderBatch {
    return batch;
  }
}

const enc = encodeURIComponent;
