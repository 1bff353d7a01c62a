import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { processMemory, resetPeakMemory } from '../dev/process-memory.js';
import { commandLine, descendants, startChild, type BenchChild } from './child-process.js';

export const MODEL_GROUP = 'gpt-4o-mini-batch';

export interface SluiceSetup {
  /** The stand-in's base URLs, one per deployment of the model group. */
  upstreamUrls: string[];
  upstreamKey: string;
  masterKey: string;
  databaseUrl: string;
  /** Extra `general_settings` (e.g. the retrieve freshness window); unknown keys must not stop the start. */
  generalSettings?: Record<string, unknown>;
}

export interface SluiceProcess {
  url: string;
  grpcAddress: string;
  /** The Node process that runs src/main.ts (npm is its parent); with `--workers`, the cluster's primary. */
  pid: number;
  /** The processes that serve requests: `pid` itself, or the cluster's workers. */
  servingPids: number[];
  /** Of the serving processes together: current RSS and the sum of their peaks. */
  memory(): { rss: number; peak: number };
  resetPeak(): boolean;
  stop(): Promise<void>;
  /** With `cpuProfileDir`: the .cpuprofile the sluice process wrote when it stopped. */
  cpuProfilePath(): string | undefined;
}

/** The config file the bench writes: one model group of as many deployments as `upstreamUrls`. */
export function writeSluiceConfig(path: string, setup: SluiceSetup): void {
  const config = {
    model_list: setup.upstreamUrls.map((url, i) => ({
      model_name: MODEL_GROUP,
      litellm_params: { model: 'openai/gpt-4o-mini', api_base: url, api_key: setup.upstreamKey },
      model_info: { id: `bench-deployment-${i + 1}`, mode: 'batch' },
    })),
    general_settings: { master_key: setup.masterKey, database_url: setup.databaseUrl, ...setup.generalSettings },
  };
  writeFileSync(path, stringify(config));
}

/**
 * sluice as deployed: `npm start -- --config FILE` (the script's own environment, tsx, Node 22), on the bench's
 * PostgreSQL database, with the batch tracker running. Ports are chosen by the OS. With `cpuProfileDir`, Node's
 * `--cpu-prof` is on (through NODE_OPTIONS, so npm and tsx's launcher write small profiles of their own too).
 */
export async function startSluice(
  configPath: string,
  databaseUrl: string,
  /** `cwd`: another checkout of sluice to start (bench/retrieve-ab.ts), instead of this one. */
  opts: { cpuProfileDir?: string; workers?: number; cwd?: string } = {},
): Promise<SluiceProcess> {
  const workers = opts.workers ?? 1;
  const npm = process.env.npm_execpath;
  const [command, prefix] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' };
  if (opts.cpuProfileDir) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${opts.cpuProfileDir}`.trim();
  const npmChild: BenchChild = await startChild(
    'sluice (npm start)',
    command,
    [...prefix, 'start', '--silent', '--', '--config', configPath, '--port', '0', '--grpc-port', '0', '--workers', String(workers)],
    /sluice listening on /,
    { env, cwd: opts.cwd },
  );
  const m = /sluice listening on (\S+?),? gRPC on (\S+) /.exec(npmChild.readyLine);
  if (!m) throw new Error(`unexpected start line from sluice: ${npmChild.readyLine}`);
  // The processes running src/main.ts, parents first: the deepest ones serve (a cluster's workers are its primary's children).
  const mains = descendants(npmChild.child.pid!).filter((p) => commandLine(p).includes('src/main.ts'));
  const servingPids = mains.slice(-workers);
  const pid = workers > 1 ? mains.at(-workers - 1) : mains.at(-1);
  if (!pid || servingPids.length < workers) throw new Error('could not find the sluice processes under npm start');
  npmChild.signalPid = pid;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    url: m[1],
    grpcAddress: m[2],
    pid,
    servingPids,
    memory: () => {
      const each = servingPids.map(processMemory);
      return { rss: sum(each.map((e) => e.rss)), peak: sum(each.map((e) => e.peak)) };
    },
    resetPeak: () => servingPids.map(resetPeakMemory).every(Boolean),
    stop: () => npmChild.stop(),
    cpuProfilePath() {
      if (!opts.cpuProfileDir) return undefined;
      const name = readdirSync(opts.cpuProfileDir).find((f) => f.endsWith('.cpuprofile') && f.includes(`.${servingPids[0]}.0.`));
      return name ? join(opts.cpuProfileDir, name) : undefined;
    },
  };
}
