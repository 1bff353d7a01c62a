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
  const [{ startGateway }, { ConfigError, loadConfigFile }, { removeStaleSpoolDirs }] = await Promise.all([
    import('./app.js'),
    import('./config/load.js'),
    import('./domain/spool-dirs.js'),
  ]);
  // A crashed predecessor's spools hold user data; nothing else would ever remove them. Only a fresh process
  // may do this: in one that already runs a gateway (the tests, the demo), its own pid's spools are live.
  const stale = await removeStaleSpoolDirs();
  if (stale.length > 0) log.info({ event: 'stale_spools_removed', count: stale.length }, 'removed spool folders left by a stopped process');
  let running: Awaited<ReturnType<typeof startGateway>>;
  try {
    running = await startGateway({
      config: loadConfigFile(args.config),
      databaseUrl: args.databaseUrl,
      port: args.port,
      host: args.host,
      grpcPort: args.grpcPort ?? false,
      noAuth: args.noAuth,
      logger: log,
    });
  } catch (err) {
    if (err instanceof ConfigError) refuse(`config error: ${err.message}`);
    if (err instanceof StartupError) refuse(err.message);
    throw err;
  }
  const grpc = running.grpcAddress ? `, gRPC on ${running.grpcAddress}` : '';
  const open = args.noAuth ? ' — AUTHENTICATION OFF (--no-auth): local development only' : '';
  console.log(`sluice listening on ${running.url}${grpc} (database: ${running.db.dialect})${open}`);
  // The deadline only guards against a stop that hangs: draining, leases and the database get their time first.
  stopOnSignals(() => running.close({ drainMs: args.drainMs }), log, args.drainMs + 15_000);
}

main().catch((err: unknown) => {
  // A bug, not the operator's doing: one line here, the stack in the log for whoever debugs it.
  pino().error({ event: 'start_failed', err }, 'sluice could not start');
  refuse(`could not start: ${(err as Error)?.message ?? String(err)}`, 1);
});
