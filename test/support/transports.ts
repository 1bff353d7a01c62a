import { toFile } from 'openai';
import { TRPCClientError } from '@trpc/client';
import { ClientError, Status } from 'nice-grpc';
import { APIError } from 'openai';
import type { Batch as GrpcBatch, File as GrpcFile } from '../../clients/grpc/index.js';
import { createSluiceGrpcClient, readFileContent, uploadRequests } from '../../clients/grpc/index.js';
import { createSluiceClient, readText, uploadBody } from '../../clients/trpc/index.js';
import { scanAnswer } from './secret-scan.js';
import type { Stack } from './stack.js';
import { waitForBatch } from './wait.js';

/** OpenAI's objects, as REST returns them: what every transport's answers are compared in. */
export type FileShape = Record<string, unknown> & { id: string };
export type BatchShape = Record<string, unknown> & { id: string; status: string };

/** A proto File as OpenAI's JSON: snake_case, unset optionals as null. */
export function fileFromGrpc(f: GrpcFile): FileShape {
  return {
    id: f.id,
    object: f.object,
    bytes: f.bytes,
    created_at: f.createdAt,
    expires_at: f.expiresAt ?? null,
    filename: f.filename,
    purpose: f.purpose,
    status: f.status,
    status_details: f.statusDetails ?? null,
  };
}

export function batchFromGrpc(b: GrpcBatch): BatchShape {
  const out: BatchShape = {
    id: b.id,
    object: b.object,
    endpoint: b.endpoint,
    model: b.model ?? null,
    errors: b.errors
      ? {
          object: b.errors.object,
          data: b.errors.data.map((e) => ({ code: e.code, message: e.message, param: e.param ?? null, line: e.line ?? null })),
        }
      : null,
    input_file_id: b.inputFileId,
    completion_window: b.completionWindow,
    status: b.status,
    output_file_id: b.outputFileId ?? null,
    error_file_id: b.errorFileId ?? null,
    created_at: b.createdAt,
    in_progress_at: b.inProgressAt ?? null,
    expires_at: b.expiresAt ?? null,
    finalizing_at: b.finalizingAt ?? null,
    completed_at: b.completedAt ?? null,
    failed_at: b.failedAt ?? null,
    expired_at: b.expiredAt ?? null,
    cancelling_at: b.cancellingAt ?? null,
    cancelled_at: b.cancelledAt ?? null,
    request_counts: { ...b.requestCounts! },
    metadata: Object.keys(b.metadata).length ? b.metadata : null,
  };
  if (b.usage) {
    out.usage = {
      input_tokens: b.usage.inputTokens,
      input_tokens_details: { cached_tokens: b.usage.inputTokensDetails?.cachedTokens ?? 0 },
      output_tokens: b.usage.outputTokens,
      output_tokens_details: { reasoning_tokens: b.usage.outputTokensDetails?.reasoningTokens ?? 0 },
      total_tokens: b.usage.totalTokens,
    };
  }
  return out;
}

/** One transport's client, reduced to the scenario's verbs, answering in OpenAI's shapes. */
export interface TransportClient {
  name: 'rest' | 'grpc' | 'trpc';
  upload(content: string, filename: string, targets: string[]): Promise<FileShape>;
  retrieveFile(id: string): Promise<FileShape>;
  listFileIds(): Promise<string[]>;
  createBatch(fileId: string, metadata?: Record<string, string>): Promise<BatchShape>;
  retrieveBatch(id: string): Promise<BatchShape>;
  /** Every update until terminal: watch (gRPC, tRPC) or poll (REST, which has no watch). */
  untilTerminal(id: string): Promise<BatchShape[]>;
  listBatchIds(): Promise<string[]>;
  cancelBatch(id: string): Promise<BatchShape>;
  content(fileId: string): Promise<string>;
  deleteFile(id: string): Promise<{ id: string; deleted: boolean }>;
  close(): void;
}

export function restClient(s: Stack, key: string): TransportClient {
  const c = s.clientFor(key);
  return {
    name: 'rest',
    upload: async (content, filename, targets) =>
      (await c.files.create({
        file: await toFile(Buffer.from(content), filename),
        purpose: 'batch',
        target_model_names: targets.join(','),
      } as never)) as unknown as FileShape,
    retrieveFile: async (id) => (await c.files.retrieve(id)) as unknown as FileShape,
    listFileIds: async () => (await c.files.list()).data.map((f) => f.id),
    createBatch: async (fileId, metadata) =>
      (await c.batches.create({
        input_file_id: fileId,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata,
      })) as unknown as BatchShape,
    retrieveBatch: async (id) => (await c.batches.retrieve(id)) as unknown as BatchShape,
    async untilTerminal(id) {
      const seen: BatchShape[] = [];
      const done = (await waitForBatch(c, id)) as unknown as BatchShape;
      seen.push(done);
      return seen;
    },
    listBatchIds: async () => (await c.batches.list({ limit: 100 })).data.map((b) => b.id),
    cancelBatch: async (id) => (await c.batches.cancel(id)) as unknown as BatchShape,
    content: async (id) => (await c.files.content(id)).text(),
    deleteFile: async (id) => {
      const r = await c.files.delete(id);
      return { id: r.id, deleted: r.deleted };
    },
    close: () => undefined,
  };
}

/** gRPC answers do not pass through the fetch-level scan: each one is scanned here (secret-scan.ts). */
export function grpcClient(s: Stack, key: string): TransportClient {
  const client = unscannedGrpcClient(s, key);
  for (const [verb, fn] of Object.entries(client)) {
    if (typeof fn !== 'function' || verb === 'close') continue;
    (client as unknown as Record<string, unknown>)[verb] = async (...args: unknown[]) =>
      scanAnswer(`gRPC ${verb}`, await (fn as (...a: unknown[]) => Promise<unknown>)(...args));
  }
  return client;
}

function unscannedGrpcClient(s: Stack, key: string): TransportClient {
  const c = createSluiceGrpcClient(s.grpcAddress, key);
  return {
    name: 'grpc',
    upload: async (content, filename, targets) =>
      fileFromGrpc(await c.files.uploadFile(uploadRequests({ filename, purpose: 'batch', targetModelNames: targets }, content))),
    retrieveFile: async (id) => fileFromGrpc(await c.files.getFile({ fileId: id })),
    listFileIds: async () => (await c.files.listFiles({})).data.map((f) => f.id),
    createBatch: async (fileId, metadata) =>
      batchFromGrpc(
        await c.batches.createBatch({
          inputFileId: fileId,
          endpoint: '/v1/chat/completions',
          completionWindow: '24h',
          metadata: metadata ?? {},
        }),
      ),
    retrieveBatch: async (id) => batchFromGrpc(await c.batches.getBatch({ batchId: id })),
    async untilTerminal(id) {
      const seen: BatchShape[] = [];
      for await (const b of c.batches.watchBatch({ batchId: id, pollIntervalMs: 100 })) seen.push(batchFromGrpc(b));
      return seen;
    },
    listBatchIds: async () => (await c.batches.listBatches({ limit: 100 })).data.map((b) => b.id),
    cancelBatch: async (id) => batchFromGrpc(await c.batches.cancelBatch({ batchId: id })),
    content: async (id) => (await readFileContent(c.files.downloadFileContent({ fileId: id }))).toString('utf8'),
    deleteFile: async (id) => {
      const r = await c.files.deleteFile({ fileId: id });
      return { id: r.id, deleted: r.deleted };
    },
    close: () => c.close(),
  };
}

export function trpcClient(s: Stack, key: string): TransportClient {
  const c = createSluiceClient(s.url, key);
  return {
    name: 'trpc',
    upload: async (content, filename, targets) =>
      (await c.files.uploadStream.mutate(uploadBody({ filename, purpose: 'batch', target_model_names: targets }, content))) as FileShape,
    retrieveFile: async (id) => (await c.files.retrieve.query({ file_id: id })) as FileShape,
    listFileIds: async () => (await c.files.list.query({})).data.map((f) => f.id),
    createBatch: async (fileId, metadata) =>
      (await c.batches.create.mutate({
        input_file_id: fileId,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata,
      })) as BatchShape,
    retrieveBatch: async (id) => (await c.batches.retrieve.query({ batch_id: id })) as BatchShape,
    untilTerminal: (id) =>
      new Promise((resolve, reject) => {
        const seen: BatchShape[] = [];
        const sub = c.batches.watch.subscribe(
          { batch_id: id, poll_interval_ms: 100 },
          {
            onData: (b) => seen.push(b as BatchShape),
            onError: (err) => {
              sub.unsubscribe();
              reject(err);
            },
            onComplete: () => resolve(seen),
          },
        );
      }),
    listBatchIds: async () => (await c.batches.list.query({ limit: 100 })).data.map((b) => b.id),
    cancelBatch: async (id) => (await c.batches.cancel.mutate({ batch_id: id })) as BatchShape,
    content: async (id) => readText(await c.files.download.query({ file_id: id })),
    deleteFile: async (id) => {
      const r = await c.files.delete.mutate({ file_id: id });
      return { id: r.id, deleted: r.deleted };
    },
    close: () => undefined,
  };
}

export const TRANSPORTS = { rest: restClient, grpc: grpcClient, trpc: trpcClient } as const;
export type TransportName = keyof typeof TRANSPORTS;

/** What went wrong, in each transport's own words: REST's status, gRPC's code name, tRPC's code. */
export async function failureOf(p: Promise<unknown>): Promise<{ code: string | number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof APIError) return { code: err.status!, message: err.message };
    if (err instanceof ClientError) return { code: Status[err.code], message: err.details };
    if (err instanceof TRPCClientError) return { code: (err.data as { code: string }).code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}
