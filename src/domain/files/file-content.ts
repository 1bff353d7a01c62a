import { Readable } from 'node:stream';
import { FileLayoutChunk, FileReplica, type ManagedFile } from '../../db/entities/index.js';
import { ProviderError, type ContentStream } from '../../providers/types.js';
import type { Principal } from '../access/principal.js';
import { notFound } from '../errors.js';
import { providerFor, type Gateway } from '../gateway.js';
import { BODY_MODEL_PATH, RESPONSE_MODEL_PATH } from '../jsonl/model-token.js';
import { fromProviderError } from '../upstream-error.js';
import { findVisibleFile } from './find-file.js';
import { rebuildUpload, replaceTokens } from './original-content.js';

/**
 * Streams a file's bytes from a deployment holding it. An input file is given back exactly as the caller
 * uploaded it, rebuilt from a copy and the recorded layout (original-content.ts): a copy carries a deployment's
 * model name, which is no caller's business. An output or error file comes from its one replica, with its
 * `response.body.model` turned back into the group's name where the provider echoed the deployment's.
 */
export async function managedFileContent(
  gw: Gateway,
  principal: Principal,
  id: string,
  signal?: AbortSignal,
): Promise<ContentStream & { filename: string }> {
  const em = gw.em();
  const file = await findVisibleFile(em, principal, id);
  const replicas = await em.find(FileReplica, { fileId: file.id }, { orderBy: { id: 'asc' } });
  let lastError: unknown = notFound('file', id);
  for (const replica of replicas) {
    try {
      const content = await providerFor(gw, replica.deploymentId).fileContent(replica.providerFileId, signal);
      const deploymentModel = gw.config.deployments.find((d) => d.id === replica.deploymentId)?.model;
      return { ...(await asCallerSees(gw, file, replica, content, deploymentModel)), filename: file.filename };
    } catch (err) {
      // A provider's 404 names its own file ID: the caller hears of ours only.
      lastError =
        err instanceof ProviderError && err.status === 404 ? notFound('file', id) : fromProviderError(err, 'Reading the file content');
    }
  }
  throw lastError;
}

async function asCallerSees(
  gw: Gateway,
  file: ManagedFile,
  replica: FileReplica,
  content: ContentStream,
  deploymentModel: string | undefined,
): Promise<ContentStream> {
  const groupToken = Buffer.from(JSON.stringify(replica.modelGroup));
  const copy = content.body as AsyncIterable<Uint8Array>;
  const stream = (chunks: AsyncIterable<Buffer>, contentLength?: number): ContentStream => {
    const body = Readable.from(chunks, { objectMode: false });
    // Destroying ours (the client left) must also release the provider's response.
    body.once('close', () => content.body.destroy());
    return { body, contentType: content.contentType, contentLength };
  };
  if (file.kind !== 'input') {
    if (!deploymentModel) return content;
    const deploymentToken = Buffer.from(JSON.stringify(deploymentModel));
    return stream(replaceTokens(copy, RESPONSE_MODEL_PATH, (t) => (t.equals(deploymentToken) ? groupToken : null)));
  }
  const first = await gw.em().findOne(FileLayoutChunk, { fileId: file.id, seq: 0 });
  if (!first) {
    // Uploaded before layouts were recorded: the exact bytes are gone, but no deployment's name goes out.
    return stream(replaceTokens(copy, BODY_MODEL_PATH, () => groupToken));
  }
  return stream(rebuildUpload(layoutChunks(gw, file.id, first.data), copy), file.bytes);
}

/** The layout's chunks in order, one row in memory at a time. */
async function* layoutChunks(gw: Gateway, fileId: string, first: Uint8Array): AsyncGenerator<Uint8Array> {
  yield first;
  for (let seq = 1; ; seq++) {
    const row = await gw.em().findOne(FileLayoutChunk, { fileId, seq });
    if (!row) return;
    yield row.data;
  }
}
