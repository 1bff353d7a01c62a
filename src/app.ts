import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { ConfigError } from './config/load.js';
import type { GatewayConfig } from './config/types.js';
import { DEFAULT_SQLITE_PATH, dialectOf, openDatabase, type Database } from './db/orm.js';
import { PrincipalCache } from './domain/access/principal-cache.js';
import { BatchRouteCache } from './domain/batches/batch-route-cache.js';
import type { Gateway } from './domain/gateway.js';
import { DeploymentHealth } from './domain/routing/health.js';
import { clusterWideMetrics } from './observability/cluster-metrics.js';
import { GatewayMetrics } from './observability/metrics.js';
import { allObservers, tracingObserver } from './observability/tracing.js';
import { ProviderRegistry } from './providers/registry.js';
import { describeSystemError, StartupError } from './startup-error.js';
import { startGrpcServer } from './transports/grpc/server.js';
import { buildRestServer } from './transports/rest/server.js';
import { BatchTracker, type TrackerOptions } from './workers/batch-tracker.js';
import { CreateReconciler } from './workers/create-reconciler.js';
import { ReplicaJanitor, type JanitorOptions } from './workers/replica-janitor.js';
import { WebhookOutbox, type WebhookOptions } from './workers/webhook-outbox.js';

export interface StartOptions {
  config: GatewayConfig;
  /** Overrides `general_settings.database_url`; default an embedded SQLite file under ./data/. */
  databaseUrl?: string;
  port?: number;
  host?: string;
  logger?: Logger;
  /** The gRPC server's port (0: any free one); false or -1: none (the default here; main.ts passes 50051). */
  grpcPort?: number | false;
  /** The batch tracker (workers/): false disables it; intervals set here win over general_settings. */
  tracker?: false | TrackerOptions;
  /** Retry timing of the batch webhook outbox (general_settings.batch_webhook_url). */
  webhook?: WebhookOptions;
  /** Retry timing of the replica janitor (pending deletes). */
  janitor?: JanitorOptions;
  /** Start without `general_settings.master_key`: calls without a valid virtual key act as the admin. */
  noAuth?: boolean;
  /** Bring the schema up to date first (default). A cluster's workers do not: its primary has (cli/process-cluster.ts). */
  migrate?: boolean;
  /** A worker of a process cluster: `GET /metrics` answers for the whole cluster, whichever worker it reaches. */
  clusterWorker?: boolean;
}

export interface CloseOptions {
  /** How long requests and calls in flight (and the tracker's polls) may take to finish before they are cut. */
  drainMs?: number;
}

/** What close() gives calls in flight when its caller does not say (main.ts passes --drain-seconds). */
export const DEFAULT_DRAIN_MS = 5_000;

export interface RunningGateway {
  url: string;
  port: number;
  gw: Gateway;
  db: Database;
  /** `host:port` of the gRPC server, when it runs. */
  grpcAddress?: string;
  tracker?: BatchTracker;
  metrics: GatewayMetrics;
  /**
   * Stops: readiness fails and watches end at once, no new connection or call is accepted, those in flight get
   * `drainMs` to finish and are then cut; the tracker gives its leases back; the database closes last.
   */
  close(opts?: CloseOptions): Promise<void>;
}

/**
 * Builds everything from a validated config, runs migrations, and listens. Used by main.ts, the demo and tests.
 * A failure the operator must fix (no master key, database, address) is a ConfigError or a StartupError, and
 * whatever was opened before it is closed again.
 */
export async function startGateway(opts: StartOptions): Promise<RunningGateway> {
  const log = opts.logger ?? pino({ level: 'info' });
  checkAuthSettings(opts);
  const db = await openGatewayDatabase(databaseUrlOf(opts), { migrate: opts.migrate ?? true });
  const stopping = new AbortController();
  const config = withTrackerIntervals(opts.config, opts.tracker);
  const metrics = new GatewayMetrics(db.em, log);
  const gw: Gateway = {
    config,
    providers: new ProviderRegistry(
      [...opts.config.deployments, ...opts.config.providerRoutes.values()],
      opts.config.masterKey ? [opts.config.masterKey] : [],
      allObservers(metrics.upstreamObserver, tracingObserver()),
    ),
    health: new DeploymentHealth(),
    principals: new PrincipalCache(),
    batchRoutes: new BatchRouteCache(),
    log,
    em: db.em,
    listeners: [metrics.listener],
    noAuth: opts.noAuth,
    stopping: stopping.signal,
  };
  if (opts.noAuth) {
    log.warn(
      { event: 'authentication_disabled', master_key_set: !!config.masterKey },
      'AUTHENTICATION IS OFF (--no-auth): every call without a valid virtual key acts as the admin. For local development only: never expose this port.',
    );
  }
  const webhook = config.webhook ? new WebhookOutbox(gw, db.dialect, config.webhook, opts.webhook) : undefined;
  if (webhook) gw.listeners!.push(webhook.listener);
  const janitor = new ReplicaJanitor(gw, db.dialect, opts.janitor);
  const reconciler = new CreateReconciler(gw, db.dialect);
  const tracker = opts.tracker === false ? undefined : new BatchTracker(gw, db.dialect, opts.tracker);
  let ready = false;
  const app = buildRestServer({
    gw,
    logger: log.child({ component: 'rest' }, { level: log.level === 'silent' ? 'silent' : 'warn' }),
    isReady: async () => {
      if (!ready) return false;
      await db.em().getConnection().execute('select 1');
      return true;
    },
    metrics: opts.clusterWorker ? clusterWideMetrics(metrics.registry) : () => metrics.scrape(),
  });
  const listenHost = opts.host ?? '127.0.0.1';
  const at = (port: number) => `${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`;
  const grpcPort = opts.grpcPort === undefined || opts.grpcPort === false || opts.grpcPort < 0 ? null : opts.grpcPort;
  let grpc: Awaited<ReturnType<typeof startGrpcServer>> | undefined;
  try {
    await app.listen({ port: opts.port ?? 4000, host: listenHost }).catch((err: unknown) => {
      throw new StartupError(`cannot listen for HTTP on ${at(opts.port ?? 4000)}: ${describeSystemError(err)}`);
    });
    if (grpcPort !== null) {
      grpc = await startGrpcServer(gw, { port: grpcPort, host: listenHost }).catch((err: unknown) => {
        throw new StartupError(`cannot listen for gRPC on ${at(grpcPort)}: ${describeSystemError(err)}`);
      });
    }
  } catch (err) {
    await app.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
  ready = true;
  tracker?.start();
  webhook?.start();
  janitor.start();
  reconciler.start();
  const port = (app.server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
  log.info({ event: 'started', port, database: db.dialect, deployments: opts.config.deployments.length }, 'sluice listening');
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    gw,
    db,
    grpcAddress: grpc?.address,
    tracker,
    metrics,
    async close({ drainMs = DEFAULT_DRAIN_MS }: CloseOptions = {}) {
      ready = false;
      stopping.abort();
      // Stop accepting everywhere at once; what is in flight finishes, or is cut when the drain time is up.
      const cut = setTimeout(() => {
        log.warn({ event: 'drain_timeout', drain_ms: drainMs }, 'requests still in flight after the drain time: cutting them');
        app.server.closeAllConnections();
      }, drainMs);
      await Promise.all([tracker?.stop(drainMs), grpc?.close(drainMs), app.close()]);
      clearTimeout(cut);
      await Promise.all([webhook?.stop(), janitor.stop(), reconciler.stop()]);
      await db.close();
    },
  };
}

/** Without a master key nobody could make a virtual key: every call would be a 401. Say so at start, not per call. */
export function checkAuthSettings(opts: Pick<StartOptions, 'config' | 'noAuth'>): void {
  if (!opts.config.masterKey && !opts.noAuth) {
    throw new ConfigError(
      'general_settings.master_key: not set, so every call would be refused; set it (e.g. master_key: os.environ/SLUICE_MASTER_KEY), or start with --no-auth for local development without authentication',
    );
  }
}

/** The database a start with these options uses. */
export function databaseUrlOf(opts: Pick<StartOptions, 'databaseUrl' | 'config'>): string {
  return opts.databaseUrl ?? opts.config.databaseUrl ?? DEFAULT_SQLITE_PATH;
}

/** Opens (and by default migrates) the database; a failure is a StartupError that names it without its password. */
export async function openGatewayDatabase(url: string, opts: { migrate: boolean }): Promise<Database> {
  return openDatabase(url, opts).catch((err: unknown) => {
    throw new StartupError(`cannot open the database ${describeDatabase(url)}: ${describeSystemError(err)}`);
  });
}

/** The database for an operator's eyes: a PostgreSQL URL without its password, or the SQLite file. */
function describeDatabase(url: string): string {
  if (dialectOf(url) !== 'postgresql') return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…'; // unparseable: it may hold a password in the clear
  }
}

/** The tracker's intervals, when a caller sets them, are the config's too (batch create schedules the first poll). */
function withTrackerIntervals(config: GatewayConfig, tracker: StartOptions['tracker']): GatewayConfig {
  if (!tracker) return config;
  return {
    ...config,
    tracking: {
      ...config.tracking,
      pollIntervalMs: tracker.pollIntervalMs ?? config.tracking.pollIntervalMs,
      finalizingPollIntervalMs: tracker.finalizingPollIntervalMs ?? config.tracking.finalizingPollIntervalMs,
      leaseMs: tracker.leaseMs ?? config.tracking.leaseMs,
    },
  };
}
