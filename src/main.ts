import cluster from 'node:cluster';
import { pino } from 'pino';
import { parseCommandLine, USAGE_EXIT_CODE } from './cli/command-line.js';
import { stopOnSignals } from './cli/stop-on-signals.js';
import { StartupError } from './startup-error.js';

/** Prints one line on stderr (no stack: what the operator must fix) and exits. */
function refuse(message: string, code = USAGE_EXIT_CODE): never {
  process.stderr.write(`sluice: ${message}\n`);
  process.exit(code);
}

/** `npm start -- [--config FILE] [--port 4000] [--host 127.0.0.1] [--grpc-port 50051] …` (see --help) */
async function main(): Promise<void> {
  const cli = parseCommandLine(process.argv.slice(2));
  if (cli.action === 'exit') {
    if (cli.stdout) process.stdout.write(cli.stdout);
    if (cli.stderr) refuse(cli.stderr, cli.code);
    process.exit(cli.code);
  }
  const args = cli.command;
  const log = pino({ level: args.logLevel });
  // Loaded only now: --help and a bad option answer at once, without loading the whole gateway.
  const [
    { checkAuthSettings, databaseUrlOf, openGatewayDatabase, startGateway },
    { ConfigError, loadConfigFile },
    { dialectOf },
    { removeStaleSpoolDirs },
  ] = await Promise.all([import('./app.js'), import('./config/load.js'), import('./db/orm.js'), import('./domain/spool-dirs.js')]);
  const clustered = args.workers > 1;
  const worker = cluster.isWorker; // of a cluster: its primary did the checks, the migrations and the clean-up
  const refuseStart = (err: unknown): never => {
    if (err instanceof ConfigError) refuse(`config error: ${err.message}`);
    if (err instanceof StartupError) refuse(err.message);
    throw err;
  };
  const config = (() => {
    try {
      return loadConfigFile(args.config);
    } catch (err) {
      return refuseStart(err);
    }
  })();
  if (!worker) {
    // A crashed predecessor's spools hold user data; nothing else would ever remove them. Only a fresh process
    // may do this: in one that already runs a gateway (the tests, the demo), its own pid's spools are live.
    const stale = await removeStaleSpoolDirs();
    if (stale.length > 0)
      log.info({ event: 'stale_spools_removed', count: stale.length }, 'removed spool folders left by a stopped process');
  }
  const open = args.noAuth ? ' — AUTHENTICATION OFF (--no-auth): local development only' : '';
  // The deadline only guards against a stop that hangs: draining, leases and the database get their time first.
  const deadline = args.drainMs + 15_000;
  if (clustered && !worker) {
    // What every worker would refuse is refused here once, before any is forked.
    try {
      checkAuthSettings({ config, noAuth: args.noAuth });
    } catch (err) {
      refuseStart(err);
    }
    const databaseUrl = databaseUrlOf({ config, databaseUrl: args.databaseUrl });
    if (dialectOf(databaseUrl) !== 'postgresql') {
      refuse(
        `--workers ${args.workers} needs PostgreSQL (DATABASE_URL or general_settings.database_url): the embedded SQLite database is for one process`,
      );
    }
    await openGatewayDatabase(databaseUrl, { migrate: true })
      .then((db) => db.close())
      .catch(refuseStart);
    const { startCluster } = await import('./cli/process-cluster.js');
    const running = await startCluster(args.workers, log);
    const grpc = running.grpcAddress ? `, gRPC on ${running.grpcAddress}` : '';
    console.log(`sluice listening on ${running.url}${grpc} (database: postgresql, ${args.workers} workers)${open}`);
    stopOnSignals(() => running.stop(), log, deadline + 5_000);
    return;
  }
  const running = await startGateway({
    config,
    databaseUrl: args.databaseUrl,
    port: args.port,
    host: args.host,
    grpcPort: args.grpcPort ?? false,
    noAuth: args.noAuth,
    logger: log,
    migrate: !worker,
    clusterWorker: worker,
  }).catch(refuseStart);
  const grpc = running.grpcAddress ? `, gRPC on ${running.grpcAddress}` : '';
  if (worker) {
    const { reportListening } = await import('./cli/process-cluster.js');
    reportListening(running.url, running.grpcAddress);
  } else {
    console.log(`sluice listening on ${running.url}${grpc} (database: ${running.db.dialect})${open}`);
  }
  stopOnSignals(() => running.close({ drainMs: args.drainMs }), log, deadline);
}

main().catch((err: unknown) => {
  // A bug, not the operator's doing: one line here, the stack in the log for whoever debugs it.
  pino().error({ event: 'start_failed', err }, 'sluice could not start');
  refuse(`could not start: ${(err as Error)?.message ?? String(err)}`, 1);
});
