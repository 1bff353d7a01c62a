import { FileReplica } from '../../db/entities/index.js';
import type { ContentStream } from '../../providers/types.js';
import type { Principal } from '../access/principal.js';
import { notFound } from '../errors.js';
import { providerFor, type Gateway } from '../gateway.js';
import { fromProviderError } from '../upstream-error.js';
import { findVisibleFile } from './find-file.js';

/**
 * Streams a file's bytes from a deployment holding it, unchanged. An input file comes from its first replica
 * (the copy written for that deployment, with its `body.model`); output and error files have one replica.
 */
export async function managedFileContent(gw: Gateway, principal: Principal, id: string, signal?: AbortSignal): Promise<ContentStream & { filename: string }> {
  const em = gw.em();
  const file = await findVisibleFile(em, principal, id);
  const replicas = await em.find(FileReplica, { fileId: file.id }, { orderBy: { id: 'asc' } });
  let lastError: unknown = notFound('file', id);
  for (const replica of replicas) {
    try {
      const content = await providerFor(gw, replica.deploymentId).fileContent(replica.providerFileId, signal);
      return { ...content, filename: file.filename };
    } catch (err) {
      lastError = fromProviderError(err, 'Reading the file content');
    }
  }
  throw lastError;
}
