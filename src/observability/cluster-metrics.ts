import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * Metrics of a process cluster (cli/process-cluster.ts). Each worker counts what it handles in its own registry;
 * a scrape reaches one worker, which asks the primary, which gathers every worker's registry through
 * prom-client's AggregatorRegistry (counters and histograms summed, the database gauges taken once) and answers.
 */

const REQUEST = 'sluice:metrics-request';
const REPLY = 'sluice:metrics-reply';
/** prom-client's own gathering gives up after 5 s; this is only against a primary that never answers. */
const REPLY_TIMEOUT_MS = 10_000;

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}
interface MetricsReply {
  type: typeof REPLY;
  id: number;
  contentType?: string;
  body?: string;
  error?: string;
}

/** In the primary: answers the workers' scrapes. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: MetricsRequest) => {
    if (message?.type !== REQUEST) return;
    const reply = (fields: Omit<MetricsReply, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: REPLY, id: message.id, ...fields } satisfies MetricsReply);
    };
    aggregator.clusterMetrics().then(
      (body) => reply({ body, contentType: aggregator.contentType }),
      (err: unknown) => reply({ error: (err as Error).message }),
    );
  });
}

/** In a worker: offers `registry` to the primary's gathering, and answers a scrape with the whole cluster's metrics. */
export function clusterWideMetrics(registry: Registry): () => Promise<{ contentType: string; body: string }> {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // its constructor is what makes a worker answer the primary's gathering
  const waiting = new Map<number, (reply: MetricsReply) => void>();
  let next = 0;
  process.on('message', (message: MetricsReply) => {
    if (message?.type === REPLY) waiting.get(message.id)?.(message);
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => settle({ type: REPLY, id, error: 'the cluster primary did not answer' }), REPLY_TIMEOUT_MS);
      function settle(reply: MetricsReply) {
        clearTimeout(timer);
        waiting.delete(id);
        if (reply.body !== undefined && reply.contentType) resolve({ contentType: reply.contentType, body: reply.body });
        else reject(new Error(`cluster metrics: ${reply.error ?? 'no answer'}`));
      }
      waiting.set(id, settle);
      process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
    });
}
