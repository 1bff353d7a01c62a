import { SpendRecord, VirtualKey } from '../../db/entities/index.js';
import { hashSecret } from '../access/authenticate.js';
import { invalidRequest } from '../errors.js';
import type { Gateway } from '../gateway.js';

export interface SpendLogsInput {
  /** A key ID (`key_…`) or the key's secret (`sk-…`). */
  api_key?: string;
  team_id?: string;
  user_id?: string;
  batch_id?: string;
  /** `YYYY-MM-DD` (UTC day), an ISO date-time or Unix seconds. `end_date` as a day includes that whole day. */
  start_date?: string;
  end_date?: string;
  limit?: number;
}

/**
 * `GET /spend/logs` (LiteLLM's admin endpoint): one entry per batch whose cost was recorded, newest first, with
 * token and request counts. LiteLLM's field names where it has one (`request_id`, `api_key`, `spend`,
 * `prompt_tokens`…); `request_id` is the unified batch ID.
 */
export async function listSpendLogs(gw: Gateway, input: SpendLogsInput) {
  const em = gw.em();
  const where: Record<string, unknown> = {};
  if (input.api_key) {
    if (input.api_key.startsWith('sk-')) {
      const key = await em.findOne(VirtualKey, { tokenHash: hashSecret(input.api_key) }, { fields: ['id'] });
      if (!key) return [];
      where.ownerKeyId = key.id;
    } else {
      where.ownerKeyId = input.api_key;
    }
  }
  if (input.team_id) where.ownerTeamId = input.team_id;
  if (input.user_id) where.ownerUserId = input.user_id;
  if (input.batch_id) where.batchId = input.batch_id;
  const createdAt: Record<string, number> = {};
  if (input.start_date) createdAt.$gte = parseDate(input.start_date, 'start_date', 'start');
  if (input.end_date) createdAt.$lt = parseDate(input.end_date, 'end_date', 'end');
  if (Object.keys(createdAt).length) where.createdAt = createdAt;
  const limit = Math.min(Math.max(input.limit ?? 1000, 1), 10_000);
  const rows = await em.find(SpendRecord, where, { orderBy: { createdAt: 'desc', batchId: 'asc' }, limit });
  return rows.map(toSpendLog);
}

export type SpendLog = ReturnType<typeof toSpendLog>;

function toSpendLog(r: SpendRecord) {
  return {
    request_id: r.batchId,
    batch_id: r.batchId,
    call_type: 'batch' as const,
    api_key: r.ownerKeyId ?? null,
    user: r.ownerUserId ?? null,
    team_id: r.ownerTeamId ?? null,
    model_group: r.modelGroup,
    deployment_id: r.deploymentId,
    requests: r.requests,
    failed_requests: r.failedRequests,
    prompt_tokens: r.inputTokens,
    cached_tokens: r.cachedInputTokens,
    completion_tokens: r.outputTokens,
    reasoning_tokens: r.reasoningTokens,
    total_tokens: r.inputTokens + r.outputTokens,
    spend: Number(r.cost),
    created_at: r.createdAt,
    startTime: new Date(r.createdAt * 1000).toISOString(),
  };
}

/** `created_at` is a 32-bit column: bounds beyond it are clamped (they select the same rows) so SQL never sees them. */
const LAST_SECOND = 2_147_483_647;
const clamp = (seconds: number) => Math.min(Math.max(seconds, 0), LAST_SECOND);

/** Unix seconds. A bare day is UTC; as an end bound it means "before the next day". */
function parseDate(value: string, param: string, bound: 'start' | 'end'): number {
  return clamp(parseDateUnbounded(value, param, bound));
}

function parseDateUnbounded(value: string, param: string, bound: 'start' | 'end'): number {
  const v = value.trim();
  if (/^\d{1,12}$/.test(v)) return Number(v) + (bound === 'end' ? 1 : 0);
  const day = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const ms = Date.parse(day ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(ms))
    throw invalidRequest(`Invalid '${param}': expected YYYY-MM-DD, an ISO date-time or Unix seconds`, param, 'invalid_value');
  const seconds = Math.floor(ms / 1000);
  if (bound === 'start') return seconds;
  return day ? seconds + 86_400 : seconds + 1;
}
