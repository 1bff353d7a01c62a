import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

/**
 * There is no Docker engine (nor `docker compose`) on the machines this runs on, so docker-compose.yml is checked
 * against the Compose Specification's own JSON schema (test/fixtures/compose-spec.json, with its licence), plus
 * what the README promises of it.
 */
const repo = join(import.meta.dirname, '..', '..');
const compose = parse(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'));
// Ajv's default dialect is draft-07, which the schema is written in; it names it by an https address Ajv does not know.
const { $schema: _dialect, ...schema } = JSON.parse(readFileSync(join(repo, 'test', 'fixtures', 'compose-spec.json'), 'utf8'));

describe('docker-compose.yml', () => {
  it('is valid under the Compose Specification schema', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema catches a broken file (the check is not vacuous)', () => {
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate({ services: { sluice: { ports: [{ target: 'not a port' }], stop_grace_period: 30 } } })).toBe(false);
    expect(validate({ services: { sluice: { restart_policy: 'always' } } })).toBe(false);
  });

  it('publishes REST and gRPC, mounts the config, takes an env_file and waits for the database', () => {
    const sluice = compose.services.sluice;
    expect(sluice.ports.map((p: string) => p.split(':')[1])).toEqual(['4000', '50051']);
    expect(sluice.volumes).toContain('./config.yaml:/app/config.yaml:ro');
    expect(sluice.env_file).toBeDefined();
    expect(sluice.environment.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    expect(sluice.depends_on.postgres.condition).toBe('service_healthy');
  });

  it('is built from the Dockerfile, whose last stage runs node itself (signals reach the server)', () => {
    const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
    const cmd = dockerfile
      .split('\n')
      .filter((l) => l.startsWith('CMD'))
      .at(-1)!;
    expect(JSON.parse(cmd.slice(3).trim())[0]).toBe('node');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
  });
});
