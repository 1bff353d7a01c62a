import { expect } from 'vitest';
import { chatJsonl, MASTER_KEY, type Stack } from './stack.js';
import { waitForBatch } from './wait.js';

/**
 * The cast of the isolation matrices (REST, gRPC, tRPC): teams, keys of every kind, and the owner's objects.
 */
export type Who =
  | 'owner'
  | 'teammate'
  | 'teammate_without_model'
  | 'other_team'
  | 'no_team_key'
  | 'expired'
  | 'deleted'
  | 'none'
  | 'wrong'
  | 'master';
export const WHO: Who[] = [
  'owner',
  'teammate',
  'teammate_without_model',
  'other_team',
  'no_team_key',
  'expired',
  'deleted',
  'none',
  'wrong',
  'master',
];
export const INVALID = new Set<Who>(['expired', 'deleted', 'none', 'wrong']);
/** The visibility rule: team A's objects are seen by team A's keys and the master key. */
export const SEES_TEAM_A = new Set<Who>(['owner', 'teammate', 'teammate_without_model', 'master']);
export const MAY_USE_GPT4O = new Set<Who>(['owner', 'teammate', 'other_team', 'no_team_key', 'master']);

export interface World {
  file: string;
  output: string;
  batch: string;
  rawFile: string;
  rawBatch: string;
}

export interface OwnerApi {
  upload(): Promise<string>;
  createBatch(fileId: string): Promise<string>;
}

export function call(s: Stack, key: string | undefined, method: string, path: string, body?: unknown | FormData) {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body && !(body instanceof FormData)) headers['content-type'] = 'application/json';
  return fetch(`${s.url}${path}`, { method, headers, body: body instanceof FormData ? body : body ? JSON.stringify(body) : undefined });
}

export function uploadForm(content = chatJsonl(2)) {
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('target_model_names', 'gpt-4o-batch');
  form.append('file', new Blob([content]), 'iso.jsonl');
  return form;
}

export const alter = (id: string) => id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A');

/** Two teams, a key of every kind, and a completed batch of the owner's with its input and output files. */
export async function buildIsolationWorld(s: Stack): Promise<{ keys: Record<Who, string | undefined>; world: World; owner: OwnerApi }> {
  const admin = async (path: string, body?: unknown) => {
    const res = await call(s, MASTER_KEY, body ? 'POST' : 'GET', path, body);
    expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
    return res.json();
  };
  const keys = {} as Record<Who, string | undefined>;
  await admin('/team/new', { team_id: 'team-a', team_alias: 'A', models: ['gpt-4o-batch', 'gpt-4o-mini-batch'] });
  await admin('/team/new', { team_id: 'team-b', team_alias: 'B', models: ['gpt-4o-batch'] });
  keys.owner = (await admin('/key/generate', { team_id: 'team-a', user_id: 'alice' })).key;
  keys.teammate = (await admin('/key/generate', { team_id: 'team-a', user_id: 'bob' })).key;
  keys.teammate_without_model = (await admin('/key/generate', { team_id: 'team-a', user_id: 'carol', models: ['gpt-4o-mini-batch'] })).key;
  keys.other_team = (await admin('/key/generate', { team_id: 'team-b', user_id: 'mallory' })).key;
  keys.no_team_key = (await admin('/key/generate', { user_id: 'solo' })).key;
  keys.expired = (await admin('/key/generate', { team_id: 'team-a', duration: '1s' })).key;
  const doomed = await admin('/key/generate', { team_id: 'team-a' });
  keys.deleted = doomed.key;
  await admin('/key/delete', { keys: [doomed.key] });
  keys.none = undefined;
  keys.wrong = 'sk-wrong-0000000000000000000000000000000';
  keys.master = MASTER_KEY;

  const owner: OwnerApi = {
    async upload() {
      return (await (await call(s, keys.owner, 'POST', '/v1/files', uploadForm())).json()).id;
    },
    async createBatch(fileId: string) {
      const res = await call(s, keys.owner, 'POST', '/v1/batches', {
        input_file_id: fileId,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      return (await res.json()).id;
    },
  };
  const file = await owner.upload();
  const batch = await owner.createBatch(file);
  const done = await waitForBatch(s.clientFor(keys.owner!), batch, [s.east, s.west]);
  expect(done.status).toBe('completed');
  const world = {
    file,
    batch,
    output: done.output_file_id!,
    rawFile: [...s.east.files.keys()][0],
    rawBatch: [...s.east.batches.keys(), ...s.west.batches.keys()][0],
  };
  await new Promise((r) => setTimeout(r, 1100)); // let the 1 s key expire
  return { keys, world, owner };
}
