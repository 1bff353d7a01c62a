/**
 * A gateway in a process of its own, for tests that measure its memory apart from the emulators'.
 * argv[2]: JSON `{ config, databaseUrl }` (config as in config.yaml). Prints one JSON line
 * `{ url, grpcAddress }` when listening; SIGTERM closes it.
 */
import { pino } from 'pino';
import { startGateway } from '../src/app.js';
import { buildConfig } from '../src/config/load.js';

const { config, databaseUrl } = JSON.parse(process.argv[2]) as { config: unknown; databaseUrl: string };
const running = await startGateway({
  config: buildConfig(config, {}),
  databaseUrl,
  port: 0,
  grpcPort: 0,
  logger: pino({ level: 'silent' }),
  tracker: false,
});
process.stdout.write(`${JSON.stringify({ url: running.url, grpcAddress: running.grpcAddress })}\n`);
process.once('SIGTERM', () => {
  void running.close().finally(() => process.exit(0));
});
if (process.env.SLUICE_MEM_TRACE) {
  setInterval(() => {
    const m = process.memoryUsage();
    const mb = (n: number) => (n / 1048576).toFixed(0);
    process.stderr.write(
      `mem rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} heapUsed=${mb(m.heapUsed)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)}\n`,
    );
  }, 500).unref();
}
