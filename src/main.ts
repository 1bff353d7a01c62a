import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startGateway } from './app.js';
import { ConfigError, loadConfigFile } from './config/load.js';

/** `npm start -- --config FILE [--port 4000] [--host 127.0.0.1] [--grpc-port 50051]` */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c', default: process.env.SLUICE_CONFIG ?? 'examples/config.yaml' },
      port: { type: 'string', short: 'p', default: process.env.PORT ?? '4000' },
      host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
      'grpc-port': { type: 'string', default: process.env.GRPC_PORT ?? '50051' },
    },
    allowPositionals: false,
  });
  const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  let config;
  try {
    config = loadConfigFile(values.config!);
  } catch (err) {
    if (err instanceof ConfigError) {
      log.fatal({ event: 'config_error' }, `config error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const running = await startGateway({
    config,
    databaseUrl: process.env.DATABASE_URL || undefined,
    port: Number(values.port),
    host: values.host,
    grpcPort: Number(values['grpc-port']),
    logger: log,
  });
  console.log(`sluice listening on ${running.url}${running.grpcAddress ? `, gRPC on ${running.grpcAddress}` : ''} (database: ${running.db.dialect})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'stopping', signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    await running.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
