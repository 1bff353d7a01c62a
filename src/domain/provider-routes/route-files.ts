import { listPage } from '../paging.js';
import { ProviderObject } from '../../db/entities/index.js';
import type { ContentStream, ProviderFile } from '../../providers/types.js';
import { ownerOf, type Principal } from '../access/principal.js';
import type { UploadSource } from '../files/upload.js';
import type { Gateway } from '../gateway.js';
import { fromProviderError } from '../upstream-error.js';
import { routeProvider, type Route } from './route-access.js';
import { findRouteObject, listRouteObjects, recordRouteObject } from './route-objects.js';
import { spoolRaw } from './raw-spool.js';

const asFile = (f: ProviderFile) => ({ object: 'file' as const, status: 'processed', status_details: null, ...f });

/** Upload through a provider route: no validation, no fan-out; the provider's own file, owned by the caller. */
export async function uploadRouteFile(gw: Gateway, principal: Principal, route: Route, source: UploadSource) {
  const provider = routeProvider(gw, principal, route);
  const spool = await spoolRaw(source.content, Math.max(gw.config.limits.maxFileBytes, 512 * 1024 * 1024));
  try {
    const fields = await source.fields();
    const file = await provider
      .uploadFile({
        filename: fields.filename,
        purpose: fields.purpose,
        bytes: spool.bytes,
        body: spool.read,
        expiresAfter: fields.expiresAfter,
      })
      .catch((err) => {
        throw fromProviderError(err, 'Uploading the file');
      });
    await recordRouteObject(gw, route, 'file', file.id, ownerOf(principal));
    return asFile(file);
  } finally {
    await spool.dispose();
  }
}

export async function getRouteFile(gw: Gateway, principal: Principal, route: Route, id: string) {
  const provider = routeProvider(gw, principal, route);
  await findRouteObject(gw, principal, route, 'file', id);
  return asFile(await provider.getFile(id).catch((err) => Promise.reject(fromProviderError(err, 'Retrieving the file'))));
}

export async function routeFileContent(
  gw: Gateway,
  principal: Principal,
  route: Route,
  id: string,
  signal?: AbortSignal,
): Promise<ContentStream> {
  const provider = routeProvider(gw, principal, route);
  await findRouteObject(gw, principal, route, 'file', id);
  return provider.fileContent(id, signal).catch((err) => Promise.reject(fromProviderError(err, 'Reading the file content')));
}

export async function deleteRouteFile(gw: Gateway, principal: Principal, route: Route, id: string) {
  const provider = routeProvider(gw, principal, route);
  const row = await findRouteObject(gw, principal, route, 'file', id);
  await provider.deleteFile(id).catch((err) => Promise.reject(fromProviderError(err, 'Deleting the file')));
  await gw.em().nativeDelete(ProviderObject, { id: row.id });
  return { id, object: 'file' as const, deleted: true };
}

export async function listRouteFiles(gw: Gateway, principal: Principal, route: Route, input: { limit?: number; after?: string }) {
  const provider = routeProvider(gw, principal, route);
  const { rows, hasMore } = await listRouteObjects(gw, principal, route, 'file', Math.min(input.limit ?? 100, 1000), input.after);
  const files = await Promise.all(
    rows.map((r) =>
      provider
        .getFile(r.providerId)
        .then(asFile)
        .catch(() => null),
    ),
  );
  const data = files.filter((f) => f !== null);
  return listPage(data, hasMore);
}
