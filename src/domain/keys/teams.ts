import { Team } from '../../db/entities/index.js';
import { echo } from '../echo.js';
import { GatewayError, invalidRequest } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { newTeamId } from '../ids.js';
import { assertKnownGroups } from './model-names.js';

export interface NewTeamInput {
  team_id?: string;
  team_alias?: string | null;
  models?: string[];
  max_budget?: number | null;
  metadata?: Record<string, unknown> | null;
}

/** LiteLLM's team info shape; spelled out so that the entity's ORM brands (`Opt<…>`) stay out of the clients' types. */
export interface TeamInfo {
  team_id: string;
  team_alias: string | null;
  models: string[];
  spend: number | string;
  max_budget: number | string | null;
  metadata: Record<string, unknown>;
  created_at: string;
}

export function toTeamInfo(t: Team): TeamInfo {
  return {
    team_id: t.id,
    team_alias: t.alias ?? null,
    models: t.models,
    spend: t.spend,
    max_budget: t.maxBudget ?? null,
    metadata: t.metadata ?? {},
    created_at: new Date(t.createdAt * 1000).toISOString(),
  };
}

export async function createTeam(gw: Gateway, input: NewTeamInput) {
  assertKnownGroups(gw, input.models ?? []);
  const em = gw.em();
  const id = input.team_id ?? newTeamId();
  if (await em.findOne(Team, { id })) throw new GatewayError('conflict', `Team '${echo(id)}' already exists`, 'team_id', 'team_exists');
  const team = em.create(Team, {
    id,
    alias: input.team_alias ?? null,
    models: input.models ?? [],
    maxBudget: input.max_budget ?? null,
    spend: 0,
    metadata: input.metadata ?? null,
    createdAt: Math.floor(Date.now() / 1000),
  });
  await em.flush();
  gw.log.info({ event: 'team_created', team_id: id }, 'team created');
  return toTeamInfo(team);
}

export async function teamInfo(gw: Gateway, teamId: string) {
  const team = await gw.em().findOne(Team, { id: teamId });
  if (!team) throw new GatewayError('not_found', `No such team: '${echo(teamId)}'`, 'team_id', 'not_found');
  return { team_id: team.id, team_info: toTeamInfo(team) };
}

export async function listTeams(gw: Gateway) {
  const teams = await gw.em().find(Team, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
  return teams.map(toTeamInfo);
}

export async function requireTeam(gw: Gateway, teamId: string): Promise<Team> {
  const team = await gw.em().findOne(Team, { id: teamId });
  if (!team) throw invalidRequest(`No such team: '${echo(teamId)}'`, 'team_id', 'team_not_found');
  return team;
}
