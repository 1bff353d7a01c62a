import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface NpmStart {
  /** npm's pid, which leads the process group of everything it started. */
  pid: number;
  /** Resolves with the HTTP URL once the server prints it; rejects if the process exits first. */
  url: Promise<string>;
  /** The gRPC address printed with the URL, if any (valid once `url` resolved). */
  grpcAddress(): string | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  /** The JSON log lines printed so far. */
  logs(): Record<string, unknown>[];
  /** True once no process of the group is left (npm, the server, tsx's esbuild service…), polling up to `ms`. */
  groupGone(ms?: number): Promise<boolean>;
  /** Signals npm (as `kill PID` or a container runtime does), or with `group` the whole group (as a terminal's Ctrl-C). */
  signal(signal: NodeJS.Signals, opts?: { group?: boolean }): void;
}

const started: NpmStart[] = [];

/**
 * `npm start -- …args`, exactly as the README has a user run it, in a process group of its own so that a test
 * can see what is left of it after it exits. `--silent` keeps npm's banner off stdout; npm still runs the script.
 */
export function npmStart(args: string[], env: Record<string, string | undefined> = {}): NpmStart {
  const child = spawn('npm', ['start', '--silent', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  let grpcAddress: string | undefined;
  const url = new Promise<string>((resolve, reject) => {
    const look = () => {
      const m = /^sluice listening on (http:\/\/[^\s,]+)(?:, gRPC on (\S+))?/m.exec(out);
      if (!m) return false;
      grpcAddress = m[2];
      resolve(m[1]);
      return true;
    };
    child.stdout.on('data', look);
    void exited.then(() => look() || reject(new Error(`npm start exited before listening:\n${err}${out}`)));
  });
  url.catch(() => undefined); // a start expected to fail never listens
  const pid = child.pid!;
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const handle: NpmStart = {
    pid,
    url,
    grpcAddress: () => grpcAddress,
    exited,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async groupGone(ms = 10_000) {
      const deadline = Date.now() + ms;
      while (alive()) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 100));
      }
      return true;
    },
    signal(signal, opts = {}) {
      process.kill(opts.group ? -pid : pid, signal);
    },
  };
  started.push(handle);
  return handle;
}

/** For afterAll: no test leaves a server (or anything else of its group) running behind it. */
export function killAllStarted(): void {
  for (const s of started.splice(0)) {
    try {
      process.kill(-s.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
