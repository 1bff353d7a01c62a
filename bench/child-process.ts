import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** A process the bench started; `stop` ends it (SIGTERM to `signalPid`) and waits until the child has exited. */
export interface BenchChild {
  child: ChildProcess;
  /** The first output line that matched `ready`. */
  readyLine: string;
  /**
   * Which process gets the SIGTERM: the child itself unless set. A launcher that does not pass signals on
   * (`npm start`) gets its server process's PID here, so that the server shuts down and the launcher follows.
   */
  signalPid: number;
  stop(): Promise<void>;
}

/** How to end each child that is still running, whether it is ready yet or still starting. */
const stoppers = new Set<() => Promise<void>>();

/**
 * Spawns a command and waits for a line on stdout or stderr that matches `ready` (the process prints its address
 * when it listens). Its output is otherwise drained (and kept, to explain a failure to start).
 */
export async function startChild(
  label: string,
  command: string,
  args: string[],
  ready: RegExp,
  options: SpawnOptions = {},
  timeoutMs = 60_000,
): Promise<BenchChild> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const exited = once(child, 'exit').catch(() => {});
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  // Until it is ready, nothing but a SIGKILL of its whole tree is sure to end it.
  const killStarting = async () => {
    if (!gone()) killTree(child.pid!);
    await exited;
  };
  stoppers.add(killStarting);
  const recent: string[] = [];
  let onEarlyExit: (code: number | null, signal: NodeJS.Signals | null) => void = () => {};
  let readyLine: string;
  try {
    readyLine = await new Promise<string>((resolve, reject) => {
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
        reject(new Error(`${err.message}\n--- last output of ${label}:\n${recent.join('\n')}`));
      };
      child.once('error', fail);
      onEarlyExit = (code, signal) => fail(new Error(`${label} exited (${signal ?? code}) before it was ready`));
      child.once('exit', onEarlyExit);
    });
  } catch (err) {
    await killStarting();
    throw err;
  } finally {
    stoppers.delete(killStarting);
  }
  child.off('exit', onEarlyExit);
  const handle: BenchChild = {
    child,
    readyLine,
    signalPid: child.pid!,
    async stop() {
      stoppers.delete(handle.stop);
      if (gone()) return;
      try {
        process.kill(handle.signalPid, 'SIGTERM');
      } catch {
        /* the server is gone already; its launcher follows */
      }
      const timer = setTimeout(() => killTree(child.pid!), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  stoppers.add(handle.stop);
  return handle;
}

/** Ends every child still running or starting (on an error or Ctrl-C), so that no server outlives the bench. */
export async function stopAllChildren(): Promise<void> {
  await Promise.allSettled([...stoppers].map((stop) => stop()));
}

/** SIGKILL to a process and all its descendants, children first (a launcher's server must not outlive it). */
function killTree(pid: number): void {
  for (const p of [pid, ...descendants(pid)].reverse()) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
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

/** CPU time a process has used so far (utime + stime from /proc/PID/stat, clock ticks of 10 ms), in µs. Linux only. */
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

/**
 * CPU time so far of a process's threads, summed by kind, in µs: `main` (the event loop's thread), `V8 helpers`
 * (the other threads named `node`: on Node 22 that is V8's platform workers, the garbage collector's parallel
 * and concurrent work among them), `libuv-worker` (the file system pool), and any other thread by its name.
 */
export function cpuMicrosByThread(pid: number): Map<string, number> {
  const byKind = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const kind = Number(tid) === pid ? 'main' : name === 'node' ? 'V8 helpers' : name;
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      byKind.set(kind, (byKind.get(kind) ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100);
    } catch {
      /* the thread ended */
    }
  }
  return byKind;
}

/** The CPU seconds each kind of thread spent between two readings of cpuMicrosByThread, most first. */
export function threadShares(before: Map<string, number>, after: Map<string, number>): string {
  return [...after]
    .map(([name, micros]) => [name, (micros - (before.get(name) ?? 0)) / 1e6] as const)
    .filter(([, seconds]) => seconds >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) => `${name} ${seconds.toFixed(2)}`)
    .join(', ');
}
