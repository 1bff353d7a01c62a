import { echo } from '../echo.js';
import { VirtualKey } from '../../db/entities/index.js';
import { hashSecret } from '../access/authenticate.js';
import { GatewayError, invalidRequest } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { newKeyId, newKeySecret } from '../ids.js';
import { expiryOf } from './duration.js';
import { toKeyInfo } from './key-info.js';
import { assertKnownGroups } from './model-names.js';
import { requireTeam } from './teams.js';

export interface GenerateKeyInput {
  models?: string[];
  user_id?: string | null;
  team_id?: string | null;
  key_alias?: string | null;
  duration?: string | null;
  max_budget?: number | null;
  metadata?: Record<string, unknown> | null;
  allow_provider_routes?: boolean;
}

export type UpdateKeyInput = GenerateKeyInput & { key: string };

const now = () => Math.floor(Date.now() / 1000);

/** A key's models must be usable by its team: a key never gets more than its team. */
async function checkScope(gw: Gateway, models: string[], teamId: string | null | undefined) {
  assertKnownGroups(gw, models);
  if (!teamId) return;
  const team = await requireTeam(gw, teamId);
  const outside = team.models.length ? models.filter((m) => !team.models.includes(m)) : [];
  if (outside.length)
    throw invalidRequest(`Team '${echo(teamId)}' may not use: ${echo(outside.join(', '))}`, 'models', 'model_not_allowed');
}

/** Makes a key; the secret is returned here, once, and only its SHA-256 is stored. */
export async function generateKey(gw: Gateway, input: GenerateKeyInput) {
  await checkScope(gw, input.models ?? [], input.team_id);
  const expiresAt = input.duration ? expiryOf(input.duration, now()) : null; // a bad duration saves nothing
  const secret = newKeySecret();
  const em = gw.em();
  const key = em.create(VirtualKey, {
    id: newKeyId(),
    tokenHash: hashSecret(secret),
    keyName: `sk-...${secret.slice(-4)}`,
    alias: input.key_alias ?? null,
    userId: input.user_id ?? null,
    teamId: input.team_id ?? null,
    models: input.models ?? [],
    maxBudget: input.max_budget ?? null,
    spend: 0,
    expiresAt,
    metadata: input.metadata ?? null,
    allowProviderRoutes: input.allow_provider_routes ?? false,
    createdAt: now(),
  });
  await em.flush();
  gw.log.info({ event: 'key_generated', key_id: key.id, team_id: key.teamId, user_id: key.userId }, 'key generated');
  return { key: secret, ...toKeyInfo(key) };
}

/** Finds a key by its secret or by its ID (`token`), as LiteLLM's endpoints accept either. */
export async function findKey(gw: Gateway, keyOrId: string): Promise<VirtualKey> {
  const em = gw.em();
  const key = keyOrId.startsWith('sk-')
    ? await em.findOne(VirtualKey, { tokenHash: hashSecret(keyOrId) })
    : await em.findOne(VirtualKey, { id: keyOrId });
  if (!key) throw new GatewayError('not_found', 'No such key', 'key', 'not_found');
  return key;
}

export async function keyInfo(gw: Gateway, keyOrId: string) {
  const key = await findKey(gw, keyOrId);
  return { key: key.id, info: toKeyInfo(key) };
}

export async function updateKey(gw: Gateway, input: UpdateKeyInput) {
  const key = await findKey(gw, input.key);
  const expiresAt = input.duration ? expiryOf(input.duration, now()) : null;
  const models = input.models ?? key.models;
  const teamId = input.team_id !== undefined ? input.team_id : key.teamId;
  await checkScope(gw, models, teamId);
  const em = gw.em();
  const patch: Partial<VirtualKey> = { models, teamId: teamId ?? null };
  if (input.user_id !== undefined) patch.userId = input.user_id;
  if (input.key_alias !== undefined) patch.alias = input.key_alias;
  if (input.max_budget !== undefined) patch.maxBudget = input.max_budget;
  if (input.metadata !== undefined) patch.metadata = input.metadata;
  if (input.allow_provider_routes !== undefined) patch.allowProviderRoutes = input.allow_provider_routes;
  if (input.duration !== undefined) patch.expiresAt = expiresAt;
  await em.nativeUpdate(VirtualKey, { id: key.id }, patch);
  gw.principals.clear();
  gw.log.info({ event: 'key_updated', key_id: key.id }, 'key updated');
  return toKeyInfo({ ...key, ...patch } as VirtualKey);
}

/** Deleted keys stop working at once on this replica, and within PRINCIPAL_TTL_MS on the others. */
export async function deleteKeys(gw: Gateway, keys: string[]) {
  const found = await Promise.all(keys.map((k) => findKey(gw, k)));
  await gw.em().nativeDelete(VirtualKey, { id: { $in: found.map((k) => k.id) } });
  gw.principals.clear();
  gw.log.info({ event: 'keys_deleted', key_ids: found.map((k) => k.id) }, 'keys deleted');
  // The IDs, not what was sent: echoing secrets back would put them in responses and proxies' logs.
  return { deleted_keys: found.map((k) => k.id) };
}

export async function listKeys(
  gw: Gateway,
  input: { team_id?: string; user_id?: string; page?: number; size?: number; return_full_object?: boolean },
) {
  const size = Math.min(Math.max(input.size ?? 100, 1), 1000);
  const page = Math.max(input.page ?? 1, 1);
  const where: Record<string, unknown> = {};
  if (input.team_id) where.teamId = input.team_id;
  if (input.user_id) where.userId = input.user_id;
  const [rows, total] = await gw
    .em()
    .findAndCount(VirtualKey, where, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: size, offset: (page - 1) * size });
  return {
    keys: input.return_full_object ? rows.map(toKeyInfo) : rows.map((k) => k.id),
    total_count: total,
    current_page: page,
    total_pages: Math.max(Math.ceil(total / size), 1),
  };
}
