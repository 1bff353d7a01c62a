import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from 'undici';
import { cpuMicros } from './child-process.js';

const run = promisify(execFile);
const AUTOCANNON = fileURLToPath(new URL('./autocannon-paths.mjs', import.meta.url));

/** One GET endpoint of one system, as the load generators call it. */
export interface Target {
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** For throughput: one path per connection (defaults to `path` on every connection). */
  paths?: string[];
}

export interface Throughput {
  /** 2xx answers per second over the whole run, and how many there were. */
  rps: number;
  ok: number;
  /** Answers that were not 2xx, plus connection errors and timeouts. */
  failures: number;
}

/**
 * autocannon (bench/node_modules) in a process of its own, so that the load generator's CPU is not the bench's:
 * `connections` keep-alive connections, one request in flight on each, for `seconds`; connection i asks for
 * `paths[i]` (autocannon-paths.mjs).
 */
export async function throughput(target: Target, connections: number, seconds: number): Promise<Throughput> {
  const args = { origin: target.origin, paths: target.paths ?? [target.path], headers: target.headers, connections, seconds };
  const { stdout } = await run(process.execPath, [AUTOCANNON, JSON.stringify(args)], { maxBuffer: 16 * 1024 * 1024 });
  const r = JSON.parse(stdout) as { duration: number; '2xx': number; non2xx: number; errors: number; timeouts: number };
  return { rps: r['2xx'] / r.duration, ok: r['2xx'], failures: r.non2xx + r.errors + r.timeouts };
}

/** `throughput`, and the CPU the serving processes spent on each answer meanwhile (µs, from /proc). */
export async function cpuPerRequest(
  pids: number[],
  target: Target,
  connections: number,
  seconds: number,
): Promise<Throughput & { micros: number }> {
  const cpu = () => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const before = cpu();
  const r = await throughput(target, connections, seconds);
  return { ...r, micros: (cpu() - before) / r.ok };
}

/**
 * Requests one after the other on one keep-alive connection, `count` of them or as many as fit in `seconds`
 * (whichever ends first); the time of each, in ms. undici's Client from the root dependencies: one connection,
 * no pool, so nothing but the request is timed. Pass `client` to keep the connection across calls.
 */
export async function sequentialLatencies(target: Target, limit: { count?: number; seconds?: number }, client?: Client): Promise<number[]> {
  const connection = client ?? new Client(target.origin, { pipelining: 1 });
  const count = limit.count ?? Infinity;
  const until = performance.now() + (limit.seconds ?? Infinity) * 1000;
  const out: number[] = [];
  try {
    while (out.length < count && performance.now() < until) {
      const started = performance.now();
      const res = await connection.request({ method: 'GET', path: target.path, headers: target.headers });
      await res.body.arrayBuffer();
      const ms = performance.now() - started;
      if (res.statusCode !== 200) throw new Error(`GET ${target.origin}${target.path} answered ${res.statusCode}`);
      out.push(ms);
    }
  } finally {
    if (!client) await connection.close();
  }
  return out;
}

/** The p-th percentile (nearest rank) of some numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (values: number[]) => percentile(values, 50);
