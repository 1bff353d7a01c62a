import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { GatewayConfig } from './config/types.js';
import { DEFAULT_SQLITE_PATH, openDatabase, type Database } from './db/orm.js';
import type { Gateway } from './domain/gateway.js';
import { removeStaleSpoolDirs } from './domain/spool-dirs.js';
import { DeploymentHealth } from './domain/routing/health.js';
import { GatewayMetrics } from './observability/metrics.js';
import { allObservers, tracingObserver } from './observability/tracing.js';
import { ProviderRegistry } from './providers/registry.js';
import { startGrpcServer } from './transports/grpc/server.js';
import { buildRestServer } from './transports/rest/server.js';
import { BatchTracker, type TrackerOptions } from './workers/batch-tracker.js';
import { BatchWebhook, type WebhookOptions } from './workers/batch-webhook.js';

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
  /** Retry timing of the batch webhook (general_settings.batch_webhook_url). */
  webhook?: WebhookOptions;
}

export interface RunningGateway {
  url: string;
  port: number;
  gw: Gateway;
  db: Database;
  /** `host:port` of the gRPC server, when it runs. */
  grpcAddress?: string;
  tracker?: BatchTracker;
  metrics: GatewayMetrics;
  close(): Promise<void>;
}

/** Builds everything from a validated config, runs migrations, and listens. Used by main.ts, the demo and tests. */
export async function startGateway(opts: StartOptions): Promise<RunningGateway> {
  const log = opts.logger ?? pino({ level: 'info' });
  const databaseUrl = opts.databaseUrl ?? opts.config.databaseUrl ?? DEFAULT_SQLITE_PATH;
  // A crashed predecessor's spools hold user data; nothing else would ever remove them.
  const stale = await removeStaleSpoolDirs();
  if (stale.length > 0) log.warn({ event: 'stale_spools_removed', count: stale.length }, 'removed spool folders left by a stopped process');
  const db = await openDatabase(databaseUrl);
  const config = withTrackerIntervals(opts.config, opts.tracker);
  const metrics = new GatewayMetrics(db.em, log);
  const gw: Gateway = {
    config,
    providers: new ProviderRegistry([...opts.config.deployments, ...opts.config.providerRoutes.values()], opts.config.masterKey ? [opts.config.masterKey] : [], allObservers(metrics.upstreamObserver, tracingObserver())),
    health: new DeploymentHealth(),
    log,
    em: db.em,
    listeners: [metrics.listener],
  };
  const webhook = config.webhook ? new BatchWebhook(config.webhook, log, opts.webhook) : undefined;
  if (webhook) gw.listeners!.push(webhook.listener);
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
    metrics: () => metrics.scrape(),
  });
  await app.listen({ port: opts.port ?? 4000, host: opts.host ?? '127.0.0.1' });
  const grpcPort = opts.grpcPort === undefined || opts.grpcPort === false || opts.grpcPort < 0 ? null : opts.grpcPort;
  const grpc = grpcPort === null ? undefined : await startGrpcServer(gw, { port: grpcPort, host: opts.host ?? '127.0.0.1' });
  ready = true;
  tracker?.start();
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
    async close() {
      ready = false;
      await tracker?.stop();
      await grpc?.close();
      await app.close();
      await webhook?.close();
      await db.close();
    },
  };
}

/** The tracker's intervals, when a caller sets them, are the config's too (batch create schedules the first poll). */
function withTrackerIntervals(config: GatewayConfig, tracker: StartOptions['tracker']): GatewayConfig {
  if (!tracker) return config;
  return {
    ...config,
    tracking: {
      pollIntervalMs: tracker.pollIntervalMs ?? config.tracking.pollIntervalMs,
      finalizingPollIntervalMs: tracker.finalizingPollIntervalMs ?? config.tracking.finalizingPollIntervalMs,
      leaseMs: tracker.leaseMs ?? config.tracking.leaseMs,
    },
  };
}
