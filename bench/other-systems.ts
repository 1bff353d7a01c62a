import { fileURLToPath } from 'node:url';
import { startChild, type BenchChild } from './child-process.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export interface Standin {
  /** Base URLs ending in /v1, one per listener. */
  urls: string[];
  pid: number;
  stop(): Promise<void>;
}

/** bench/upstream-standin.ts in a process of its own, with `listeners` ports (one per deployment). */
export async function startStandin(listeners: number): Promise<Standin> {
  const child = await startChild(
    'upstream stand-in',
    process.execPath,
    ['--import', 'tsx', here('./upstream-standin.ts'), String(listeners)],
    /^\{"urls"/,
  );
  return { urls: (JSON.parse(child.readyLine) as { urls: string[] }).urls, pid: child.child.pid!, stop: () => child.stop() };
}

export interface Portkey {
  url: string;
  pid: number;
  /** Headers that route a call through Portkey to `upstreamUrl` as an OpenAI-compatible provider. */
  headers(upstreamUrl: string, upstreamKey: string): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The Portkey gateway (`@portkey-ai/gateway`, from bench/node_modules), headless, on Node 22 like sluice. It
 * listens on every interface and has no option to say otherwise: the preloaded bench/loopback-listen.mjs binds
 * it to 127.0.0.1 and reports the port it got.
 */
export async function startPortkey(): Promise<Portkey> {
  const child: BenchChild = await startChild(
    'Portkey gateway',
    process.execPath,
    ['--import', here('./loopback-listen.mjs'), here('./node_modules/@portkey-ai/gateway/build/start-server.js'), '--port=0', '--headless'],
    /^loopback-listen /,
  );
  const { port } = JSON.parse(child.readyLine.slice('loopback-listen '.length)) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.child.pid!,
    headers: (upstreamUrl, upstreamKey) => ({
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': upstreamUrl,
      authorization: `Bearer ${upstreamKey}`,
    }),
    stop: () => child.stop(),
  };
}

export interface Floor {
  /** Origin of bench/floor-proxy.ts: `GET /v1/batches/:id` goes to the first upstream, `POST /v1/files` to all. */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The floor (bench/floor-proxy.ts): Fastify + undici with nothing of sluice in between, in a process of its own.
 * Whatever it costs on this machine, any Node gateway built on them costs too.
 */
export async function startFloor(upstreamUrls: string[]): Promise<Floor> {
  const child = await startChild(
    'floor proxy',
    process.execPath,
    ['--import', 'tsx', here('./floor-proxy.ts'), ...upstreamUrls.map((u) => new URL(u).origin)],
    /^listening /,
  );
  return { url: `http://127.0.0.1:${child.readyLine.split(' ')[1]}`, pid: child.child.pid!, stop: () => child.stop() };
}
