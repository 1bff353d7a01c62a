import type { Logger } from '../domain/gateway.js';

/**
 * Runs `tick` every `intervalMs` (one at a time) until stopped; `nudge()` runs it soon, for work that was just
 * written (a webhook to send now rather than at the next tick). A failing tick is logged and retried at the next.
 * The durable jobs (webhook outbox, replica janitor, create reconciler) claim their rows through leases
 * (leases.ts), so any number of replicas may run the same worker.
 */
export class PeriodicWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly tick: () => Promise<void>,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err: unknown) =>
          this.log.warn({ event: `${this.name}_tick_failed`, error: (err as Error).message }, `${this.name}: tick failed; retrying`),
        )
        .finally(() => {
          this.running = undefined;
          const soon = this.again;
          this.again = false;
          this.schedule(soon ? 0 : this.intervalMs);
        });
    }, delayMs);
  }
}
