import { Team, VirtualKey } from '../../db/entities/index.js';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { Principal } from './principal.js';

/**
 * Refuses new work (uploads, batch creates) once the caller's key, or its team, has spent its `max_budget`.
 * Spend grows when a batch's cost is recorded (domain/cost/), so a batch already running is never stopped;
 * read from the database on every call, so every replica agrees. The master key has no budget.
 */
export async function assertWithinBudget(gw: Gateway, principal: Principal): Promise<void> {
  if (principal.kind === 'master') return;
  const em = gw.em();
  const key = await em.findOne(VirtualKey, { id: principal.keyId }, { fields: ['id', 'spend', 'maxBudget'] });
  if (key) assertUnder('key', key.spend, key.maxBudget);
  if (principal.teamId) {
    const team = await em.findOne(Team, { id: principal.teamId }, { fields: ['id', 'spend', 'maxBudget'] });
    if (team) assertUnder('team', team.spend, team.maxBudget);
  }
}

/** Doubles may come back from the driver as strings; compare them as numbers. */
function assertUnder(who: 'key' | 'team', spendValue: number | string, maxValue: number | string | null | undefined): void {
  if (maxValue === null || maxValue === undefined) return;
  const spend = Number(spendValue);
  const maxBudget = Number(maxValue);
  if (spend < maxBudget) return;
  throw new GatewayError(
    'rate_limited',
    `Budget exceeded: ${who} spend $${dollars(spend)} has reached max_budget $${dollars(maxBudget)}`,
    null,
    'budget_exceeded',
  );
}

/** Enough digits to see why (batch costs are often fractions of a cent), no float noise. */
function dollars(n: number): string {
  return String(Number(n.toPrecision(10)));
}
