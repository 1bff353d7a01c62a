import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { serveClusterMetrics } from '../observability/cluster-metrics.js';

/**
 * `--workers N`: N gateway processes share the HTTP and gRPC ports (node:cluster hands each new connection to the
 * next worker). One Node process uses one core for JavaScript; a gateway's per-request work (TLS aside) is all
 * JavaScript, so on a machine of several cores this is what lets it use them, as LiteLLM's `--num_workers` and
 * uvicorn/gunicorn workers do. Each worker is a full gateway on the shared PostgreSQL, exactly like a replica on
 * another machine: its caches, leases and background workers are those a replica already has.
 *
 * The primary serves no request. It has checked the config and migrated the database before forking (the
 * workers skip both), says `sluice listening on …` once every worker listens, gathers metrics for scrapes
 * (observability/cluster-metrics.ts), replaces a worker that dies, and on SIGTERM/SIGINT stops them all.
 */

interface Listening {
  type: 'sluice:listening';
  url: string;
  grpcAddress?: string;
}

/** In a worker, once it listens: tells the primary where. */
export function reportListening(url: string, grpcAddress: string | undefined): void {
  process.send?.({ type: 'sluice:listening', url, grpcAddress } satisfies Listening);
}

export interface ClusterHandle {
  /** Where the workers listen (all alike). */
  url: string;
  grpcAddress?: string;
  /** Stops every worker (each drains as a lone gateway does); rejects when one did not stop cleanly. */
  stop(): Promise<void>;
}

/**
 * Forks `count` workers and resolves once all of them listen. A worker that exits before it listens could not
 * start (it has said why on stderr): the others are stopped and this exits the process with that worker's code.
 */
export function startCluster(count: number, log: Logger): Promise<ClusterHandle> {
  serveClusterMetrics();
  const listening = new Set<Worker>();
  let stopping = false;

  return new Promise((resolve) => {
    let started = false;

    const fork = () => {
      const worker = cluster.fork();
      worker.on('message', (message: Listening) => {
        if (message?.type !== 'sluice:listening') return;
        listening.add(worker);
        if (started) log.info({ event: 'worker_started', worker: worker.id }, 'a replacement gateway worker is listening');
        if (!started && listening.size === count) {
          started = true;
          resolve({ url: message.url, grpcAddress: message.grpcAddress, stop: stopAll });
        }
      });
      worker.on('exit', (code, signal) => {
        const wasListening = listening.delete(worker);
        if (stopping) return;
        if (!wasListening) {
          // A start that fails once fails in every worker (config, port, database): give up, with its code.
          stopping = true;
          for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
          process.exit(code ?? 1);
        }
        log.error({ event: 'worker_exited', worker: worker.id, code, signal }, 'a gateway worker exited: starting another');
        fork();
      });
    };

    const stopAll = async () => {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      // A worker still starting (a replacement) has no handler yet: SIGTERM's default, ending it, is clean too.
      const clean = await Promise.all(
        workers.map(
          (w) =>
            new Promise<boolean>((done) => {
              if (w.isDead()) return done(w.process.exitCode === 0);
              w.once('exit', (code, signal) => done(code === 0 || signal === 'SIGTERM'));
              w.process.kill('SIGTERM');
            }),
        ),
      );
      if (clean.includes(false)) throw new Error('a worker did not stop cleanly (see its log)');
    };

    for (let i = 0; i < count; i++) fork();
  });
}
