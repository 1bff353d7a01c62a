import type { Logger } from 'pino';

/**
 * A repeat within this time is the same request to stop: a Ctrl-C under `npm start` reaches the server twice,
 * once from the terminal (which signals the whole process group) and once forwarded by npm.
 */
const SAME_REQUEST_MS = 2000;

/**
 * On SIGTERM or SIGINT runs `stop` once and exits 0 when it is done (1 if it fails, or has not finished after
 * `deadlineMs`). A second signal, two seconds or more after the first, exits at once without waiting.
 */
export function stopOnSignals(stop: () => Promise<void>, log: Logger, deadlineMs: number): void {
  let firstAt: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt === null) {
      firstAt = Date.now();
      log.info({ event: 'stopping', signal }, 'stopping: requests in flight may finish; a second signal stops at once');
      setTimeout(() => {
        log.error({ event: 'stop_overran', deadline_ms: deadlineMs }, 'the clean stop did not finish in time: exiting');
        process.exit(1);
      }, deadlineMs).unref();
      stop().then(
        () => {
          log.info({ event: 'stopped' }, 'stopped');
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ event: 'stop_failed', error: (err as Error).message }, 'the clean stop failed');
          process.exit(1);
        },
      );
      return;
    }
    if (Date.now() - firstAt < SAME_REQUEST_MS) return;
    log.warn({ event: 'stopped_at_once', signal }, 'second signal: exiting without waiting for requests in flight');
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
