import type { BatchServiceImplementation } from '../../../clients/grpc/gen/sluice/v1/batches.js';
import type { RouterInputs } from '../../api/router.js';
import type { Gateway } from '../../domain/gateway.js';
import { callerFor } from './auth.js';
import { toProtoBatch, toProtoPage } from './messages.js';

/** sluice.v1.BatchService: each RPC is one call of the router (batches.*). */
export function batchService(gw: Gateway): BatchServiceImplementation {
  return {
    async createBatch(req, context) {
      const batch = await callerFor(gw, context).batches.create({
        input_file_id: req.inputFileId,
        endpoint: req.endpoint as RouterInputs['batches']['create']['endpoint'], // checked by the router's schema
        completion_window: req.completionWindow as '24h',
        metadata: Object.keys(req.metadata).length ? req.metadata : undefined,
        output_expires_after: req.outputExpiresAfter
          ? { anchor: req.outputExpiresAfter.anchor as 'created_at', seconds: req.outputExpiresAfter.seconds }
          : undefined,
        // As over REST: an `idempotency-key` metadata entry makes a retried create return the same batch.
        idempotency_key: context.metadata.get('idempotency-key') || undefined,
        sdk_retry: Number(context.metadata.get('x-stainless-retry-count')) > 0 || undefined,
      });
      return toProtoBatch(batch);
    },

    async getBatch(req, context) {
      return toProtoBatch(await callerFor(gw, context).batches.retrieve({ batch_id: req.batchId }));
    },

    async listBatches(req, context) {
      const page = await callerFor(gw, context).batches.list({
        limit: req.limit,
        after: req.after,
        target_model_names: req.targetModelNames.length ? req.targetModelNames : undefined,
      });
      return toProtoPage(page, toProtoBatch);
    },

    async cancelBatch(req, context) {
      return toProtoBatch(await callerFor(gw, context).batches.cancel({ batch_id: req.batchId }));
    },

    /** The router's `batches.watch` subscription, consumed in-process: one implementation for tRPC and gRPC. */
    async *watchBatch(req, context) {
      // The call's signal is in the router's context: the watch stops when the call is cancelled.
      const updates = await callerFor(gw, context).batches.watch({ batch_id: req.batchId, poll_interval_ms: req.pollIntervalMs });
      for await (const batch of updates) yield toProtoBatch(batch);
    },
  };
}
