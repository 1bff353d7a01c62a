import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, Storage, type Bucket } from '@google-cloud/storage';
import type { JWT } from 'google-auth-library';
import type { VertexSettings } from '../../config/types.js';
import { ProviderError } from '../types.js';
import { accessToken } from './auth.js';

/**
 * The batch bucket through @google-cloud/storage: streamed resumable uploads, streamed downloads (checksums
 * validated by the library), metadata, list and delete. Library errors become ProviderErrors.
 */
export class BatchBucket {
  readonly name: string;
  private readonly bucket: Bucket;
  /** An emulator or private endpoint: resumable sessions need the token added by hand (see upload). */
  private readonly customEndpoint: boolean;

  constructor(
    settings: VertexSettings,
    private readonly auth: JWT,
  ) {
    this.name = settings.bucket;
    const storage = new Storage({
      projectId: settings.project,
      authClient: auth,
      ...(settings.storageEndpoint ? { apiEndpoint: settings.storageEndpoint, useAuthWithCustomEndpoint: true } : {}),
    });
    this.bucket = storage.bucket(settings.bucket);
    this.customEndpoint = Boolean(settings.storageEndpoint);
  }

  /** Streams `lines` into a new object with one resumable upload session (retried chunk-wise by the library). */
  async upload(name: string, lines: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<{ size: number; created: number }> {
    const file = this.bucket.file(name);
    if (this.customEndpoint) {
      // @google-cloud/storage 8.4 drops `useAuthWithCustomEndpoint` when it starts a resumable session, so
      // that one request would go out unauthenticated; it does pass the file's request interceptors on.
      const token = await accessToken(this.auth);
      file.interceptors.push({
        request: (opts) => {
          opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
          return opts as typeof opts & { uri: string };
        },
      });
    }
    try {
      // ifGenerationMatch 0: create only, never overwrite, which also makes the upload safe for the library to retry.
      const sink = file.createWriteStream({
        resumable: true,
        contentType: 'application/jsonl',
        preconditionOpts: { ifGenerationMatch: 0 },
      });
      await pipeline(Readable.from(lines), sink, { signal });
      const [meta] = await file.getMetadata();
      return { size: Number(meta.size ?? 0), created: Date.parse(String(meta.timeCreated ?? '')) || Date.now() };
    } catch (err) {
      throw storageError(err, `uploading gs://${this.name}/${name}`);
    }
  }

  async metadata(name: string): Promise<{ size: number; created: number }> {
    try {
      const [meta] = await this.bucket.file(name).getMetadata();
      return { size: Number(meta.size ?? 0), created: Date.parse(String(meta.timeCreated ?? '')) || Date.now() };
    } catch (err) {
      throw storageError(err, `reading gs://${this.name}/${name}`);
    }
  }

  /** The object's bytes as a stream; a missing object rejects before any byte (so callers can answer 404). */
  async read(name: string): Promise<Readable> {
    await this.metadata(name);
    return this.bucket.file(name).createReadStream();
  }

  /** Object names under a prefix, sorted. */
  async list(prefix: string): Promise<string[]> {
    try {
      const [files] = await this.bucket.getFiles({ prefix, autoPaginate: true });
      return files.map((f) => f.name).sort();
    } catch (err) {
      throw storageError(err, `listing gs://${this.name}/${prefix}`);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.bucket.file(name).delete();
    } catch (err) {
      throw storageError(err, `deleting gs://${this.name}/${name}`);
    }
  }
}

function storageError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof ApiError && typeof err.code === 'number')
    return new ProviderError(err.code, `Cloud Storage: ${what} failed (${err.message})`);
  return new ProviderError(0, `Cloud Storage unreachable: ${what} failed (${(err as Error)?.message ?? String(err)})`);
}
