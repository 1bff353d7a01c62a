/**
 * The container's install steps, start command and signal handling, checked without a Docker engine (this
 * machine has none): what the Dockerfile copies (the tracked files minus .dockerignore) goes to a temp folder,
 * `npm ci --omit=dev --ignore-scripts` runs there as in the image, then the image's CMD starts sluice as PID-1-like
 * direct child (no npm/npx in between), answers /health/readiness, and a SIGTERM must stop it with exit code 0.
 *
 *   npm exec -- tsx scripts/check-container.ts
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const node22 = join(repo, 'node_modules', 'node', 'bin', 'node'); // the image's base is node:22; here, the devDependency
const step = (what: string) => console.log(`• ${what}`);

const ignored = readFileSync(join(repo, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const isIgnored = (path: string) =>
  ignored.some((p) => {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    return re.test(path) || re.test(path.split('/').at(-1)!);
  });

const dir = mkdtempSync(join(tmpdir(), 'sluice-image-'));
try {
  step(`COPY . . (tracked files minus .dockerignore) → ${dir}`);
  const files = execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' }).split('\n').filter(Boolean);
  let copied = 0;
  for (const f of files) {
    if (isIgnored(f)) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(repo, f), join(dir, f));
    copied++;
  }
  for (const secret of ['config.yaml', '.env', 'test', 'bench', 'data']) {
    if (existsSync(join(dir, secret))) throw new Error(`${secret} would be in the image`);
  }
  console.log(`  ${copied} files; no config.yaml, .env, tests, bench or data`);

  step('npm ci --omit=dev --ignore-scripts');
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  // (typescript is there as tRPC's peer dependency)
  for (const dev of ['vitest', 'openai', 'node', '@bufbuild/buf', 'fast-check']) {
    if (existsSync(join(dir, 'node_modules', dev))) throw new Error(`devDependency ${dev} was installed`);
  }
  if (!existsSync(join(dir, 'node_modules', 'tsx'))) throw new Error('tsx (a runtime dependency) is missing');
  console.log('  runtime dependencies only (no vitest, openai, node, buf, fast-check); tsx present');

  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  writeFileSync(
    join(dir, 'config.yaml'),
    `model_list:\n  - model_name: g\n    litellm_params: { model: azure/d, api_base: http://127.0.0.1:9, api_key: k, api_version: "2024-10-21" }\ngeneral_settings:\n  master_key: os.environ/SLUICE_MASTER_KEY\n`,
  );
  step("the image's CMD: node --import tsx src/main.ts --host … --config /app/config.yaml (here: the temp folder)");
  const child = spawn(
    node22,
    [
      '--experimental-async-context-frame',
      '--disable-warning=ExperimentalWarning',
      '--import',
      'tsx',
      'src/main.ts',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--grpc-port',
      '-1',
      '--config',
      join(dir, 'config.yaml'),
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        MALLOC_MMAP_THRESHOLD_: '131072',
        MALLOC_TRIM_THRESHOLD_: '67108864',
        SLUICE_MASTER_KEY: 'sk-container-check',
        DATABASE_URL: join(dir, 'data', 'sluice.sqlite'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/readiness`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sluice did not become ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`  ready on 127.0.0.1:${port}`);

  step('SIGTERM to the server process (what docker stop sends to PID 1)');
  const started = Date.now();
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 40_000))]);
  if (code !== 0) {
    child.kill('SIGKILL');
    throw new Error(`expected exit code 0 after SIGTERM, got ${code}:\n${out}`);
  }
  console.log(`  exited 0 after ${Date.now() - started} ms`);
  console.log('container check passed');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
