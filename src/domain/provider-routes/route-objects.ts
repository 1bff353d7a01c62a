import { splitPage } from '../paging.js';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ProviderObject } from '../../db/entities/index.js';
import type { Owner, Principal } from '../access/principal.js';
import { visibleTo } from '../access/visibility.js';
import { echo } from '../echo.js';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { Route } from './route-access.js';

type Kind = 'file' | 'batch';

/** Records who made a provider-route object; recording it twice (e.g. an output file seen again) is a no-op. */
export async function recordRouteObject(gw: Gateway, route: Route, kind: Kind, providerId: string, owner: Owner): Promise<void> {
  try {
    await gw.em().insert(ProviderObject, { route, kind, providerId, ...owner, createdAt: Math.floor(Date.now() / 1000) });
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
  }
}

/** The object, if this caller may see it; the same 404 as an unknown ID otherwise. */
export async function findRouteObject(
  gw: Gateway,
  principal: Principal,
  route: Route,
  kind: Kind,
  providerId: string,
): Promise<ProviderObject> {
  const row = await gw.em().findOne(ProviderObject, { route, kind, providerId, ...visibleTo(principal) });
  if (!row)
    throw new GatewayError('not_found', `No such ${kind}: '${echo(providerId)}'`, kind === 'file' ? 'file_id' : 'batch_id', 'not_found');
  return row;
}

/** The caller's objects on a route, newest first, with `after` as a cursor (an invisible cursor: empty page). */
export async function listRouteObjects(gw: Gateway, principal: Principal, route: Route, kind: Kind, limit: number, after?: string) {
  const em = gw.em();
  const where: Record<string, unknown> = { route, kind, ...visibleTo(principal) };
  if (after) {
    const cursor = await em.findOne(ProviderObject, { ...where, providerId: after });
    if (!cursor) return { rows: [], hasMore: false };
    where.id = { $lt: cursor.id };
  }
  return splitPage(await em.find(ProviderObject, where, { orderBy: { id: 'desc' }, limit: limit + 1 }), limit);
}
