import {
  createTRPCClient,
  httpBatchLink,
  httpBatchStreamLink,
  httpLink,
  httpSubscriptionLink,
  isNonJsonSerializable,
  splitLink,
  TRPCClientError,
  type TRPCClient,
} from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { EventSource } from 'eventsource';
import type { AppRouter } from './app-router.js';

export { TRPCClientError };
export type { AppRouter };
export type SluiceClient = TRPCClient<AppRouter>;
/** Each procedure's input and output by path, e.g. `RouterOutputs['batches']['retrieve']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** OpenAI's Batch and File objects, as the gateway returns them. */
export type Batch = RouterOutputs['batches']['retrieve'];
export type FileObject = RouterOutputs['files']['retrieve'];

/**
 * What a failed call throws: `err.data.code` is tRPC's code (`NOT_FOUND`…), `err.data.httpStatus` the HTTP
 * status, and `err.data.openai` the OpenAI error's `type`, `param` and `code` (null for errors the gateway did
 * not raise itself, e.g. a connection refused).
 */
export type SluiceClientError = TRPCClientError<AppRouter>;
export const isSluiceClientError = (err: unknown): err is SluiceClientError => err instanceof TRPCClientError;

/**
 * A typed tRPC client for a sluice gateway (`url` is the gateway's HTTP address, e.g. http://127.0.0.1:4000;
 * the router is at `/trpc`). Subscriptions (`batches.watch`) go over Server-Sent Events, uploads (FormData or
 * a Blob / Uint8Array) as one plain request, `files.download` as a streamed response, the rest batched.
 */
export function createSluiceClient(url: string, key: string): SluiceClient {
  const endpoint = url.replace(/\/+$/, '').replace(/(\/trpc)?$/, '/trpc');
  const headers = { authorization: `Bearer ${key}` };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: endpoint,
          EventSource,
          // EventSource has no headers of its own: the key goes in through its fetch.
          eventSourceOptions: () => ({
            fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
          }),
        }),
        false: splitLink({
          condition: (op) => isNonJsonSerializable(op.input),
          true: httpLink({ url: endpoint, headers }),
          false: splitLink({
            condition: (op) => op.path === 'files.download',
            true: httpBatchStreamLink({ url: endpoint, headers }),
            false: httpBatchLink({ url: endpoint, headers }),
          }),
        }),
      }),
    ],
  });
}

export interface UploadFields {
  filename?: string;
  /** Must be "batch". */
  purpose: string;
  target_model_names?: string[];
  expires_after?: { anchor: 'created_at'; seconds: number };
}

/**
 * The body of `files.uploadStream`: a JSON header line with the fields, then the file. Pass a file-backed Blob
 * (`await fs.openAsBlob(path)`) and neither side holds the file in memory:
 * `client.files.uploadStream.mutate(uploadBody({ purpose: 'batch' }, await openAsBlob('in.jsonl')))`.
 */
export function uploadBody(fields: UploadFields, file: Blob | Uint8Array | string): Blob {
  return new Blob([`${JSON.stringify(fields)}\n`, file as BlobPart], { type: 'application/octet-stream' });
}

/** `files.download`'s text chunks joined (for small files; iterate them yourself for big ones). */
export async function readText(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const c of chunks) text += c;
  return text;
}
