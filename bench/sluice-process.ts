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
  /** The Node process that runs src/main.ts (npm and tsx's launcher are its parents). */
  pid: number;
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
export async function startSluice(configPath: string, databaseUrl: string, opts: { cpuProfileDir?: string } = {}): Promise<SluiceProcess> {
  const npm = process.env.npm_execpath;
  const [command, prefix] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' };
  if (opts.cpuProfileDir) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${opts.cpuProfileDir}`.trim();
  const npmChild: BenchChild = await startChild(
    'sluice (npm start)',
    command,
    [...prefix, 'start', '--silent', '--', '--config', configPath, '--port', '0', '--grpc-port', '0'],
    /sluice listening on /,
    { env },
  );
  const m = /sluice listening on (\S+?),? gRPC on (\S+) /.exec(npmChild.readyLine);
  if (!m) throw new Error(`unexpected start line from sluice: ${npmChild.readyLine}`);
  // The deepest process running src/main.ts: tsx's launcher runs it in a child of its own.
  const pid = descendants(npmChild.child.pid!)
    .filter((p) => commandLine(p).includes('src/main.ts'))
    .at(-1);
  if (!pid) throw new Error('could not find the sluice process under npm start');
  npmChild.signalPid = pid;
  return {
    url: m[1],
    grpcAddress: m[2],
    pid,
    memory: () => processMemory(pid),
    resetPeak: () => resetPeakMemory(pid),
    stop: () => npmChild.stop(),
    cpuProfilePath() {
      if (!opts.cpuProfileDir) return undefined;
      const name = readdirSync(opts.cpuProfileDir).find((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.0.`));
      return name ? join(opts.cpuProfileDir, name) : undefined;
    },
  };
}
