import { listPage } from '../paging.js';
import type { ProviderObject } from '../../db/entities/index.js';
import type { ProviderBatch } from '../../providers/types.js';
import { ownerOf, type Principal } from '../access/principal.js';
import type { CreateBatchInput } from '../batches/create-batch.js';
import type { Gateway } from '../gateway.js';
import { fromProviderError } from '../upstream-error.js';
import { routeProvider, type Route } from './route-access.js';
import { findRouteObject, listRouteObjects, recordRouteObject } from './route-objects.js';

/** A batch's output and error files belong to the batch's owner: record them so the owner can read them. */
async function adoptOutputs(gw: Gateway, route: Route, row: ProviderObject, b: ProviderBatch) {
  const owner = { ownerKeyId: row.ownerKeyId ?? null, ownerUserId: row.ownerUserId ?? null, ownerTeamId: row.ownerTeamId ?? null };
  for (const id of [b.output_file_id, b.error_file_id]) if (id) await recordRouteObject(gw, route, 'file', id, owner);
  return b;
}

export async function createRouteBatch(gw: Gateway, principal: Principal, route: Route, input: CreateBatchInput) {
  const provider = routeProvider(gw, principal, route);
  await findRouteObject(gw, principal, route, 'file', input.input_file_id);
  const batch = await provider.createBatch(input).catch((err) => Promise.reject(fromProviderError(err, 'Creating the batch')));
  await recordRouteObject(gw, route, 'batch', batch.id, ownerOf(principal));
  return batch;
}

export async function getRouteBatch(gw: Gateway, principal: Principal, route: Route, id: string) {
  const provider = routeProvider(gw, principal, route);
  const row = await findRouteObject(gw, principal, route, 'batch', id);
  const batch = await provider.getBatch(id).catch((err) => Promise.reject(fromProviderError(err, 'Retrieving the batch')));
  return adoptOutputs(gw, route, row, batch);
}

export async function cancelRouteBatch(gw: Gateway, principal: Principal, route: Route, id: string) {
  const provider = routeProvider(gw, principal, route);
  const row = await findRouteObject(gw, principal, route, 'batch', id);
  const batch = await provider.cancelBatch(id).catch((err) => Promise.reject(fromProviderError(err, 'Cancelling the batch')));
  return adoptOutputs(gw, route, row, batch);
}

export async function listRouteBatches(gw: Gateway, principal: Principal, route: Route, input: { limit?: number; after?: string }) {
  const provider = routeProvider(gw, principal, route);
  const { rows, hasMore } = await listRouteObjects(gw, principal, route, 'batch', Math.min(input.limit ?? 20, 100), input.after);
  const batches = await Promise.all(
    rows.map((r) =>
      provider
        .getBatch(r.providerId)
        .then((b) => adoptOutputs(gw, route, r, b))
        .catch(() => null),
    ),
  );
  const data = batches.filter((b) => b !== null);
  return listPage(data, hasMore);
}
