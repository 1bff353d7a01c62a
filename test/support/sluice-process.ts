import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Makes a spawned gateway stop when this (test) process dies: no orphan src/main.ts after a timed-out test. */
const EXIT_WITH_PARENT = './test/support/exit-with-parent.ts';

export interface SluiceProcess {
  url: string;
  /** `host:port` of its gRPC server, as it printed it. */
  grpcAddress?: string;
  pid: number;
  /** Parsed JSON log lines (pino) printed so far. */
  logs: Record<string, unknown>[];
  /** null while it runs; else its exit code, or the signal that ended it. */
  exitCode(): number | string | null;
  /** What it printed on stderr (an uncaught error's stack lands here). */
  stderr(): string;
  /** SIGKILL: no shutdown, no lease release, nothing flushed. Throws if the process had hit a fatal error (below). */
  kill(): Promise<void>;
  /** SIGTERM, the clean shutdown. Throws if the process had hit a fatal error (below). */
  stop(): Promise<void>;
  /** Throws if stderr shows an uncaught exception or unhandled rejection (issue 8, item 7: each is a bug). */
  assertNoFatalError(): void;
}

/**
 * What Node prints on stderr when an uncaught exception or an unhandled rejection ends the process: the words
 * themselves (an 'error' event with no listener, UnhandledPromiseRejection), a stack trace, or the
 * `Node.js v22…` line it prints after any fatal exception. The gateway logs JSON to stdout, so its stderr is
 * empty unless one of these happened.
 */
const FATAL = /uncaught|unhandled|^Node\.js v\d+|^\s+at .+:\d+:\d+\)?$/im;

export function fatalErrorIn(stderr: string): string | null {
  return FATAL.test(stderr) ? stderr.slice(-4000) : null;
}

/** Writes a config.yaml for `src/main.ts` into a temp dir and returns its path. */
export function writeConfig(doc: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-proc-')), 'config.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

/**
 * Runs sluice as a real child process, as `npm start` does (src/main.ts through tsx, on this Node), on port 0
 * (gRPC too), and resolves once it prints its URL. JSON log lines go to `logs`; stderr is kept for errors.
 * The child stops itself when this process dies (test/support/exit-with-parent.ts watches its stdin).
 */
export async function spawnSluice(configPath: string, databaseUrl: string, env: Record<string, string> = {}): Promise<SluiceProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--experimental-async-context-frame',
      '--disable-warning=ExperimentalWarning',
      '--import',
      'tsx',
      '--import',
      EXIT_WITH_PARENT,
      'src/main.ts',
      '--config',
      configPath,
      '--port',
      '0',
    ],
    // stdin is a pipe that this process holds open: exit-with-parent.ts stops the child when it closes.
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', GRPC_PORT: '0', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let rest = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let grpcAddress: string | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sluice did not start within 60 s:\n${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      rest += chunk.toString('utf8');
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const started = /^sluice listening on (http:\/\/[^\s,]+)/.exec(line);
        if (started) {
          grpcAddress = /gRPC on (\S+)/.exec(line)?.[1];
          clearTimeout(timer);
          resolve(started[1]);
          continue;
        }
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          /* not a log line */
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sluice exited with ${code} before listening:\n${stderr}`));
    });
  });
  function assertNoFatalError() {
    const fatal = fatalErrorIn(stderr);
    if (fatal) throw new Error(`the sluice process hit an uncaught exception or unhandled rejection:\n${fatal}`);
  }
  return {
    url,
    grpcAddress,
    pid: child.pid!,
    logs,
    exitCode: () => child.exitCode ?? child.signalCode ?? null,
    stderr: () => stderr,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      assertNoFatalError();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      assertNoFatalError();
    },
    assertNoFatalError,
  };
}
