/**
 * The subset of the Cloud Storage JSON API that @google-cloud/storage uses for batch files: resumable uploads
 * (single request or chunked, with 308 + Range between chunks), multipart and media uploads, object metadata,
 * media download (with `x-goog-hash`, so the library's checksum validation runs), delete and list by prefix.
 * Buckets exist as soon as they are named. Object bytes live in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { CRC32C } from '@google-cloud/storage';
import { GoogleApiError, readBody, readJsonBody, sendGoogleJson } from './google-error.js';
import type { VertexRequestContext } from './context.js';

export interface GcsObject {
  bucket: string;
  name: string;
  data: Buffer;
  contentType: string;
  generation: number;
  created: Date;
}

interface UploadSession {
  bucket: string;
  name: string;
  contentType: string;
  received: Buffer[];
  bytes: number;
}

export class GcsStore {
  /** Keyed `bucket/name`. */
  readonly objects = new Map<string, GcsObject>();
  private readonly sessions = new Map<string, UploadSession>();
  private generation = Date.now() * 1000;

  put(bucket: string, name: string, data: Buffer, contentType = 'application/octet-stream'): GcsObject {
    const object = { bucket, name, data, contentType, generation: ++this.generation, created: new Date() };
    this.objects.set(`${bucket}/${name}`, object);
    return object;
  }

  get(bucket: string, name: string): GcsObject | undefined {
    return this.objects.get(`${bucket}/${name}`);
  }

  /** `gs://bucket/name` → the object, or undefined. */
  getUri(uri: string): GcsObject | undefined {
    const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
    return m ? this.get(m[1], m[2]) : undefined;
  }

  list(bucket: string, prefix = ''): GcsObject[] {
    return [...this.objects.values()]
      .filter((o) => o.bucket === bucket && o.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Answers a request under /storage/v1 or /upload/storage/v1; false when the path is not GCS's. */
  async route(ctx: VertexRequestContext): Promise<boolean> {
    const { req, res, url } = ctx;
    const method = req.method ?? 'GET';
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (upload) {
      ctx.authorize();
      const bucket = decodeURIComponent(upload[1]);
      const type = url.searchParams.get('uploadType');
      const onlyIfNew = url.searchParams.get('ifGenerationMatch') === '0';
      const name = url.searchParams.get('name');
      if (onlyIfNew && name && this.get(bucket, name))
        throw new GoogleApiError(412, 'At least one of the pre-conditions you specified did not hold.');
      const uploadId = url.searchParams.get('upload_id');
      if (method === 'POST' && type === 'resumable' && !uploadId) return (this.startResumable(ctx, bucket), true);
      if (method === 'PUT' && uploadId)
        return (await this.continueResumable(res, uploadId, req.headers['content-range'], await readBody(req)), true);
      if (method === 'POST' && type === 'multipart') return (await this.multipart(ctx, bucket), true);
      if (method === 'POST' && type === 'media') {
        if (!name) throw new GoogleApiError(400, 'Required parameter: name');
        const object = this.put(bucket, name, await readBody(req), String(req.headers['content-type'] ?? 'application/octet-stream'));
        return (sendGoogleJson(res, 200, this.metadata(object)), true);
      }
      throw new GoogleApiError(400, `Unsupported upload: ${method} uploadType=${type}`);
    }
    const objectPath = /^\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(url.pathname);
    if (!objectPath) return false;
    ctx.authorize();
    const bucket = decodeURIComponent(objectPath[1]);
    if (!objectPath[2]) {
      if (method !== 'GET') throw new GoogleApiError(405, 'Method not allowed.');
      return (this.sendList(res, bucket, url), true);
    }
    const name = decodeURIComponent(objectPath[2]);
    const object = this.get(bucket, name);
    if (!object) throw new GoogleApiError(404, `No such object: ${bucket}/${name}`);
    if (method === 'DELETE') {
      this.objects.delete(`${bucket}/${name}`);
      res.writeHead(204).end();
      return true;
    }
    if (method !== 'GET') throw new GoogleApiError(405, 'Method not allowed.');
    if (url.searchParams.get('alt') === 'media') {
      res.writeHead(200, {
        'content-type': object.contentType,
        'content-length': String(object.data.length),
        'x-goog-hash': `crc32c=${crc32c(object.data)},md5=${md5(object.data)}`,
        'x-goog-generation': String(object.generation),
      });
      res.end(object.data);
      return true;
    }
    sendGoogleJson(res, 200, this.metadata(object));
    return true;
  }

  private async startResumable(ctx: VertexRequestContext, bucket: string): Promise<void> {
    const meta = await readJsonBody(ctx.req);
    const name = ctx.url.searchParams.get('name') ?? (typeof meta.name === 'string' ? meta.name : null);
    if (!name) throw new GoogleApiError(400, 'Required parameter: name');
    const id = randomBytes(16).toString('hex');
    const contentType = String(ctx.req.headers['x-upload-content-type'] ?? meta.contentType ?? 'application/octet-stream');
    this.sessions.set(id, { bucket, name, contentType, received: [], bytes: 0 });
    const location = new URL(ctx.url.toString());
    location.searchParams.set('upload_id', id);
    ctx.res.writeHead(200, { location: `${ctx.baseUrl}${location.pathname}${location.search}`, 'content-length': '0' });
    ctx.res.end();
  }

  /**
   * One PUT of a resumable session. `bytes A-B/T`: a chunk; the upload ends when T is known and reached, or
   * when the range is open-ended (`A-*`, one request with the whole rest). `bytes *` + `/*` (no bytes) asks how far it got.
   */
  private async continueResumable(res: ServerResponse, id: string, range: string | undefined, body: Buffer): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) throw new GoogleApiError(404, 'No such upload session.');
    const m = /^bytes (\*|(\d+)-(\d+|\*))\/(\*|\d+|undefined)$/.exec(range ?? `bytes 0-*/${body.length}`);
    if (!m) throw new GoogleApiError(400, `Bad Content-Range: ${range}`);
    if (m[1] !== '*') {
      const start = Number(m[2]);
      if (start !== session.bytes)
        throw new GoogleApiError(400, `Content-Range starts at ${start} but ${session.bytes} bytes were received.`);
      session.received.push(body);
      session.bytes += body.length;
    }
    const total = /^\d+$/.test(m[4]) ? Number(m[4]) : null;
    const done = (total !== null && session.bytes >= total) || (m[1] !== '*' && m[3] === '*');
    if (!done) {
      res.writeHead(308, session.bytes > 0 ? { range: `bytes=0-${session.bytes - 1}`, 'content-length': '0' } : { 'content-length': '0' });
      res.end();
      return;
    }
    this.sessions.delete(id);
    const object = this.put(session.bucket, session.name, Buffer.concat(session.received), session.contentType);
    sendGoogleJson(res, 200, this.metadata(object));
  }

  private async multipart(ctx: VertexRequestContext, bucket: string): Promise<void> {
    const boundary = /boundary="?([^";]+)"?/.exec(String(ctx.req.headers['content-type']))?.[1];
    if (!boundary) throw new GoogleApiError(400, 'multipart upload without a boundary');
    const body = await readBody(ctx.req);
    const parts = splitMultipart(body, boundary);
    if (parts.length !== 2) throw new GoogleApiError(400, 'multipart upload must have a metadata part and a media part');
    const meta = JSON.parse(parts[0].body.toString('utf8')) as { name?: string; contentType?: string };
    const name = ctx.url.searchParams.get('name') ?? meta.name;
    if (!name) throw new GoogleApiError(400, 'Required parameter: name');
    const object = this.put(bucket, name, parts[1].body, meta.contentType ?? parts[1].contentType ?? 'application/octet-stream');
    sendGoogleJson(ctx.res, 200, this.metadata(object));
  }

  private sendList(res: ServerResponse, bucket: string, url: URL): void {
    const all = this.list(bucket, url.searchParams.get('prefix') ?? '');
    const max = Math.min(Number(url.searchParams.get('maxResults') ?? 1000) || 1000, 1000);
    const start = Number(url.searchParams.get('pageToken') ?? 0) || 0;
    const page = all.slice(start, start + max);
    sendGoogleJson(res, 200, {
      kind: 'storage#objects',
      items: page.map((o) => this.metadata(o)),
      ...(start + max < all.length ? { nextPageToken: String(start + max) } : {}),
    });
  }

  metadata(o: GcsObject) {
    return {
      kind: 'storage#object',
      id: `${o.bucket}/${o.name}/${o.generation}`,
      name: o.name,
      bucket: o.bucket,
      generation: String(o.generation),
      metageneration: '1',
      contentType: o.contentType,
      size: String(o.data.length),
      md5Hash: md5(o.data),
      crc32c: crc32c(o.data),
      timeCreated: o.created.toISOString(),
      updated: o.created.toISOString(),
      storageClass: 'STANDARD',
    };
  }
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');
function crc32c(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

function splitMultipart(body: Buffer, boundary: string): { contentType?: string; body: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { contentType?: string; body: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next === -1) break;
    const chunk = body.subarray(at + delimiter.length, next);
    const headerEnd = chunk.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = chunk.subarray(0, headerEnd).toString('utf8');
      let content = chunk.subarray(headerEnd + 4);
      if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
      parts.push({ contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1], body: content });
    }
    at = next;
  }
  return parts;
}
