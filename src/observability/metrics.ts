import type { EntityManager } from '@mikro-orm/sql';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GatewayEvent } from '../domain/events.js';
import type { Logger } from '../domain/gateway.js';
import type { UpstreamCallInfo, UpstreamObserver } from '../providers/http/client.js';

/**
 * Prometheus metrics of one gateway instance (own Registry: two gateways in one process never share series).
 *
 * Counters count what THIS replica did (sum them over replicas): files and bytes uploaded, batches created and
 * finished, upstream requests, their latency and errors. Gauges read from the database at scrape time show
 * the state all replicas share (so don't sum those): batches by status and model group, recorded spend.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly filesUploaded: Counter<'model_group'>;
  private readonly bytesUploaded: Counter<'model_group'>;
  private readonly batchesCreated: Counter<'model_group'>;
  private readonly batchesFinished: Counter<'model_group' | 'status'>;
  private readonly batchTokens: Counter<'model_group' | 'type'>;
  private readonly sideEffectsAbandoned: Counter<'kind'>;
  private readonly upstreamDuration: Histogram<'deployment' | 'method' | 'route' | 'status'>;
  private readonly upstreamErrors: Counter<'deployment' | 'method' | 'route' | 'status'>;

  constructor(em: () => EntityManager, log: Logger) {
    const registers = [this.registry];
    this.filesUploaded = new Counter({
      name: 'sluice_files_uploaded_total',
      help: 'Managed batch input files uploaded (counted once per target model group)',
      labelNames: ['model_group'],
      registers,
    });
    this.bytesUploaded = new Counter({
      name: 'sluice_file_upload_bytes_total',
      help: 'Bytes of managed batch input files uploaded (counted once per target model group)',
      labelNames: ['model_group'],
      registers,
    });
    this.batchesCreated = new Counter({
      name: 'sluice_batches_created_total',
      help: 'Batches created through this replica',
      labelNames: ['model_group'],
      registers,
    });
    this.batchesFinished = new Counter({
      name: 'sluice_batches_finished_total',
      help: 'Batches this replica saw to their end (cost recorded)',
      labelNames: ['model_group', 'status'],
      registers,
    });
    this.sideEffectsAbandoned = new Counter({
      name: 'sluice_side_effects_abandoned_total',
      help: 'Durable side effects this replica gave up on after their maximum age (kind: webhook, replica_delete)',
      labelNames: ['kind'],
      registers,
    });
    this.batchTokens = new Counter({
      name: 'sluice_batch_tokens_total',
      help: 'Billed tokens of finished batches recorded by this replica',
      labelNames: ['model_group', 'type'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'sluice_upstream_request_duration_seconds',
      help: 'Upstream HTTP requests (each attempt) by deployment, time to response headers',
      labelNames: ['deployment', 'method', 'route', 'status'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'sluice_upstream_errors_total',
      help: 'Upstream HTTP attempts that failed (status 0: no answer)',
      labelNames: ['deployment', 'method', 'route', 'status'],
      registers,
    });

    const readFailed = (what: string) => (err: unknown) =>
      log.warn({ event: 'metrics_read_failed', what, error: (err as Error).message }, 'could not read metrics from the database');
    new Gauge({
      name: 'sluice_batches',
      help: 'Batches in the database by status and model group (all replicas)',
      labelNames: ['status', 'model_group'],
      registers,
      aggregator: 'first', // read from the shared database: in a process cluster every worker has the same figure
      async collect() {
        const rows = await em()
          .getConnection()
          .execute<{ status: string; model_group: string; n: number | string }[]>(
            'select status, model_group, count(*) as n from managed_batch group by status, model_group',
          )
          .catch(readFailed('batches'));
        if (!rows) return;
        this.reset();
        for (const r of rows) this.set({ status: r.status, model_group: r.model_group }, Number(r.n));
      },
    });
    new Gauge({
      name: 'sluice_spend_usd',
      help: 'Recorded batch cost in USD by model group (all replicas, from spend records)',
      labelNames: ['model_group'],
      registers,
      aggregator: 'first',
      async collect() {
        const rows = await em()
          .getConnection()
          .execute<{ model_group: string; cost: number | string }[]>(
            'select model_group, sum(cost) as cost from spend_record group by model_group',
          )
          .catch(readFailed('spend'));
        if (!rows) return;
        this.reset();
        for (const r of rows) this.set({ model_group: r.model_group }, Number(r.cost));
      },
    });
  }

  /** The gateway event listener. */
  readonly listener = (e: GatewayEvent): void => {
    switch (e.event) {
      case 'file_uploaded':
        for (const group of e.groups) {
          this.filesUploaded.inc({ model_group: group });
          this.bytesUploaded.inc({ model_group: group }, e.bytes);
        }
        break;
      case 'batch_created':
        this.batchesCreated.inc({ model_group: e.model_group });
        break;
      case 'batch_finished':
        this.batchesFinished.inc({ model_group: e.model_group, status: e.status });
        this.batchTokens.inc({ model_group: e.model_group, type: 'input' }, e.input_tokens);
        this.batchTokens.inc({ model_group: e.model_group, type: 'cached_input' }, e.cached_input_tokens);
        this.batchTokens.inc({ model_group: e.model_group, type: 'output' }, e.output_tokens);
        this.batchTokens.inc({ model_group: e.model_group, type: 'reasoning' }, e.reasoning_tokens);
        break;
      case 'webhook_abandoned':
        this.sideEffectsAbandoned.inc({ kind: 'webhook' });
        break;
      case 'replica_delete_abandoned':
        this.sideEffectsAbandoned.inc({ kind: 'replica_delete' });
        break;
      default:
        break;
    }
  };

  /**
   * Each label set of the upstream series, made once: the series has few (deployments × methods × routes, whose
   * IDs are already `{id}`, × statuses), and prom-client's startTimer made two label objects and a closure on
   * every call of a hot path (a batch retrieve makes one upstream call).
   */
  private readonly upstreamLabels = new Map<string, Record<'deployment' | 'method' | 'route' | 'status', string>>();

  private labelsOf(call: UpstreamCallInfo, status: number) {
    const key = `${call.deploymentId}\n${call.method}\n${call.route}\n${status}`;
    let labels = this.upstreamLabels.get(key);
    if (!labels) {
      labels = { deployment: call.deploymentId, method: call.method, route: call.route, status: String(status) };
      this.upstreamLabels.set(key, labels);
    }
    return labels;
  }

  /** Upstream latency and errors, per deployment (hooked into providers/http/client.ts). */
  readonly upstreamObserver: UpstreamObserver = {
    start: (call) => {
      const started = performance.now();
      return (end) => {
        const labels = this.labelsOf(call, end.status);
        this.upstreamDuration.observe(labels, (performance.now() - started) / 1000);
        if (end.status === 0 || end.status >= 400) this.upstreamErrors.inc(labels);
      };
    },
  };

  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
