import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** A process the bench started; `stop` ends it (SIGTERM to `signalPid`, default the child itself) and waits. */
export interface BenchChild {
  child: ChildProcess;
  /** The first output line that matched `ready`. */
  readyLine: string;
  stop(signalPid?: number): Promise<void>;
}

const running = new Set<BenchChild>();

/**
 * Spawns a command and waits for a line on stdout or stderr that matches `ready` (the process prints its address
 * when it listens). Its output is otherwise drained (and kept, to explain a failure to start).
 */
export async function startChild(label: string, command: string, args: string[], ready: RegExp, options: SpawnOptions = {}, timeoutMs = 60_000): Promise<BenchChild> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const recent: string[] = [];
  let onEarlyExit: (code: number | null, signal: NodeJS.Signals | null) => void = () => {};
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${label} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    const onLine = (line: string) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      if (ready.test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    };
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', onLine);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n--- last output of ${label}:\n${recent.join('\n')}`));
    };
    child.once('error', fail);
    onEarlyExit = (code, signal) => fail(new Error(`${label} exited (${signal ?? code}) before it was ready`));
    child.once('exit', onEarlyExit);
  });
  child.off('exit', onEarlyExit);
  const handle: BenchChild = {
    child,
    readyLine,
    async stop(signalPid) {
      running.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      process.kill(signalPid ?? child.pid!, 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(handle);
  return handle;
}

/** Ends every child still running (on an error or Ctrl-C), so that no server outlives the bench. */
export async function stopAllChildren(): Promise<void> {
  await Promise.allSettled([...running].map((c) => c.stop()));
}

/** The PIDs of a process's descendants, parents before children (Linux: /proc/PID/task/TID/children). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${parent}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter(Boolean).map(Number)) {
        out.push(c);
        queue.push(c);
      }
    }
  }
  return out;
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
