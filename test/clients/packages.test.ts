import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/stack.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Packing builds the package (its `prepare`: tsc, and the d.ts bundle for tRPC); installing may reach the registry. */
const STEP_TIMEOUT_MS = 240_000;

/** `lib`: @trpc/client's own declarations name DOM types (`RequestInfo`), so a project using it needs DOM's lib. */
const CLIENTS = {
  grpc: { address: (s: Stack) => s.grpcAddress, lib: ['ES2023'] },
  trpc: { address: (s: Stack) => s.url, lib: ['ES2023', 'DOM'] },
} as const;
type ClientName = keyof typeof CLIENTS;

/** usage.ts prints its findings as one JSON line, last. */
const findings = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');

async function step(what: string, file: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(file, args, {
      cwd,
      timeout: STEP_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${what} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/**
 * A project that knows nothing of the repo: the client's tarball (`npm pack` in clients/<name>) installed into
 * it, and usage.ts (test/clients/usage/<name>.ts) and the README's full-flow example typechecked by the repo's
 * tsc. Only @types/node comes from the repo, as any Node project has it.
 */
async function installedProject(work: string, client: ClientName): Promise<string> {
  const dir = join(work, client);
  const project = join(dir, 'project');
  mkdirSync(project, { recursive: true });
  const packOutput = await step(
    `npm pack (clients/${client})`,
    'npm',
    ['pack', '--json', '--pack-destination', dir],
    join(REPO, 'clients', client),
  );
  // The build's own lines (npm runs `prepare` first) come before pack's JSON.
  const packed = JSON.parse(packOutput.slice(packOutput.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
  const paths = packed[0].files.map((f) => f.path);
  // What the tarball carries: built output, no source and no server code.
  expect(paths).toContain('dist/index.js');
  expect(paths).toContain('dist/index.d.ts');
  expect(paths.filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md'].includes(p))).toEqual([]);

  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `uses-${client}`, private: true, type: 'module' }));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2023',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: CLIENTS[client].lib,
        // Declarations are checked too: the bundled router types must compile as they are.
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(REPO, 'node_modules/@types')],
        strict: true,
        noEmit: true,
        verbatimModuleSyntax: true,
        erasableSyntaxOnly: true,
      },
      files: ['usage.ts', 'readme.ts'],
    }),
  );
  copyFileSync(join(REPO, 'test/clients/usage', `${client}.ts`), join(project, 'usage.ts'));
  // The README's full-flow example is checked too (typechecked only: it names a file and a fixed address).
  const readme = readFileSync(join(REPO, 'clients', client, 'README.md'), 'utf8');
  const example = /^## The whole flow$[\s\S]*?^```ts$\n([\s\S]*?)^```$/m.exec(readme)?.[1];
  expect(example, `clients/${client}/README.md: a ts block under "## The whole flow"`).toBeTruthy();
  writeFileSync(join(project, 'readme.ts'), example ?? '');
  await step(
    `npm install (${client})`,
    'npm',
    ['install', join(dir, packed[0].filename), '--prefer-offline', '--no-audit', '--no-fund'],
    project,
  );
  await step(`tsc (${client})`, process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', project], project);
  return project;
}

describe('the clients as packages: packed, installed in a project of their own, typechecked and run', () => {
  const work = mkdtempSync(join(tmpdir(), 'sluice-client-packages-'));
  let s: Stack;
  const projects = {} as Record<ClientName, Promise<string>>;

  beforeAll(async () => {
    // Both packages build and install while the gateway starts; each test awaits its own project.
    for (const client of Object.keys(CLIENTS) as ClientName[]) {
      projects[client] = installedProject(work, client);
      projects[client].catch(() => undefined); // reported by the test that awaits it
    }
    s = await startStack({ db: 'sqlite', timing: { validatingMs: 200, inProgressMs: 200, finalizingMs: 200, cancellingMs: 200 } });
  });
  afterAll(async () => {
    await Promise.allSettled(Object.values(projects));
    await s?.close();
    rmSync(work, { recursive: true, force: true });
  }, STEP_TIMEOUT_MS * 3);

  it(
    'gRPC: upload, create, get, watch, download, list, cancel, an idempotent create, delete; errors are ClientErrors with the OpenAI fields in the trailers',
    async () => {
      const project = await projects.grpc;
      const out = await step('usage.ts (grpc)', process.execPath, ['usage.ts', CLIENTS.grpc.address(s), MASTER_KEY], project);
      const r = findings(out);
      expect(r.file).toMatchObject({ filename: 'usage.jsonl', expiresAt: 'undefined', statusDetails: 'undefined' });
      expect(r.file.bytes).toBeGreaterThan(0);
      // Unset optional fields are undefined and an empty map is {}: what the README says.
      expect(r.created).toMatchObject({ status: 'validating', outputFileId: 'undefined', completedAt: 'undefined', metadata: {} });
      expect(r.retrieved).toEqual({ id: r.created.id, inputFileId: r.file.id });
      expect(r.updates.at(-1)).toBe('completed');
      expect(new Set(r.updates).size).toBe(r.updates.length);
      expect(r.done).toEqual({ status: 'completed', terminal: true, total: 3, completed: 3 });
      expect(r.outputIds).toEqual(['pkg-1', 'pkg-2', 'pkg-3']);
      expect(r.listedBatch && r.listedFile).toBe(true);
      expect(['cancelling', 'cancelled']).toContain(r.cancelled.status);
      expect(r.cancelled.metadata).toEqual({ from: 'package' });
      expect(r.idempotent).toBe(true);
      expect(r.deleted).toEqual({ id: r.file.id, deleted: true });
      expect(r.missing).toEqual({
        code: 'NOT_FOUND',
        details: `No such file: '${r.file.id}'`,
        fields: { type: 'invalid_request_error', param: 'file_id', code: 'not_found', retryAfter: null },
      });
    },
    STEP_TIMEOUT_MS * 3,
  );

  it(
    'tRPC: upload, create, retrieve, watch, download, list, cancel, an idempotent create, delete; errors are TRPCClientErrors with data.openai',
    async () => {
      const project = await projects.trpc;
      const out = await step('usage.ts (trpc)', process.execPath, ['usage.ts', CLIENTS.trpc.address(s), MASTER_KEY], project);
      const r = findings(out);
      expect(r.file).toMatchObject({ object: 'file', filename: 'usage.jsonl', purpose: 'batch', status: 'processed', expires_at: null });
      expect(r.created).toMatchObject({
        object: 'batch',
        status: 'validating',
        input_file_id: r.file.id,
        output_file_id: null,
        metadata: { from: 'package' },
      });
      expect(r.retrieved.id).toBe(r.created.id);
      expect(r.updates.at(-1)).toBe('completed');
      expect(new Set(r.updates).size).toBe(r.updates.length);
      expect(r.done).toMatchObject({ id: r.created.id, status: 'completed', request_counts: { total: 3, completed: 3, failed: 0 } });
      expect(r.outputIds).toEqual(['pkg-1', 'pkg-2', 'pkg-3']);
      expect(r.listedBatch && r.listedFile).toBe(true);
      expect(['cancelling', 'cancelled']).toContain(r.cancelled);
      expect(r.idempotent).toBe(true);
      expect(r.deleted).toMatchObject({ id: r.file.id, deleted: true });
      expect(r.missing).toEqual({
        code: 'NOT_FOUND',
        httpStatus: 404,
        openai: { type: 'invalid_request_error', param: 'file_id', code: 'not_found' },
        message: `No such file: '${r.file.id}'`,
      });
    },
    STEP_TIMEOUT_MS * 3,
  );
});
