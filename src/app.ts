import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { GatewayConfig } from './config/types.js';
import { DEFAULT_SQLITE_PATH, openDatabase, type Database } from './db/orm.js';
import type { Gateway } from './domain/gateway.js';
import { DeploymentHealth } from './domain/routing/health.js';
import { ProviderRegistry } from './providers/registry.js';
import { buildRestServer } from './transports/rest/server.js';

export interface StartOptions {
  config: GatewayConfig;
  /** Overrides `general_settings.database_url`; default an embedded SQLite file under ./data/. */
  databaseUrl?: string;
  port?: number;
  host?: string;
  logger?: Logger;
}

export interface RunningGateway {
  url: string;
  port: number;
  gw: Gateway;
  db: Database;
  close(): Promise<void>;
}

/** Builds everything from a validated config, runs migrations, and listens. Used by main.ts, the demo and tests. */
export async function startGateway(opts: StartOptions): Promise<RunningGateway> {
  const log = opts.logger ?? pino({ level: 'info' });
  const databaseUrl = opts.databaseUrl ?? opts.config.databaseUrl ?? DEFAULT_SQLITE_PATH;
  const db = await openDatabase(databaseUrl);
  const gw: Gateway = {
    config: opts.config,
    providers: new ProviderRegistry([...opts.config.deployments, ...opts.config.providerRoutes.values()], opts.config.masterKey ? [opts.config.masterKey] : []),
    health: new DeploymentHealth(),
    log,
    em: db.em,
  };
  let ready = false;
  const app = buildRestServer({
    gw,
    logger: log.child({ component: 'rest' }, { level: log.level === 'silent' ? 'silent' : 'warn' }),
    isReady: async () => {
      if (!ready) return false;
      await db.em().getConnection().execute('select 1');
      return true;
    },
  });
  await app.listen({ port: opts.port ?? 4000, host: opts.host ?? '127.0.0.1' });
  ready = true;
  const port = (app.server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
  log.info({ event: 'started', port, database: db.dialect, deployments: opts.config.deployments.length }, 'sluice listening');
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    gw,
    db,
    async close() {
      ready = false;
      await app.close();
      await db.close();
    },
  };
}
