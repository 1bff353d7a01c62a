import { readFileSync } from 'node:fs';
import { setLogger } from '@grpc/grpc-js';
import { createServer } from 'nice-grpc';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import { ServerReflection, ServerReflectionService } from 'nice-grpc-server-reflection';
import { BatchServiceDefinition } from '../../../clients/grpc/gen/sluice/v1/batches.js';
import { FileServiceDefinition } from '../../../clients/grpc/gen/sluice/v1/files.js';
import type { Gateway } from '../../domain/gateway.js';
import { batchService } from './batch-service.js';
import { mapErrors } from './errors.js';
import { fileService } from './file-service.js';
import { widenGrpcFlowControl } from './http2-window.js';

/** The descriptor set of proto/ (`npm run generate` writes it beside the generated code), for reflection. */
const PROTOSET = new URL('../../../clients/grpc/gen/sluice.binpb', import.meta.url);
const SERVICES = [FileServiceDefinition.fullName, BatchServiceDefinition.fullName];

export interface RunningGrpcServer {
  /** `host:port`, as a gRPC client wants it. */
  address: string;
  port: number;
  /** Refuses new calls, lets those in flight run up to `graceMs`, then cancels them. */
  close(graceMs?: number): Promise<void>;
}

/**
 * sluice.v1.FileService and BatchService (adapters over the router), grpc.health.v1.Health and server
 * reflection. Upload chunks are at most 1 MiB (checked per message, INVALID_ARGUMENT); a message over 4 MiB
 * is refused by gRPC itself (RESOURCE_EXHAUSTED).
 */
export async function startGrpcServer(gw: Gateway, opts: { port: number; host: string }): Promise<RunningGrpcServer> {
  widenGrpcFlowControl();
  // grpc-js prints its own errors on stderr ("E No address added…"); they belong in the JSON log.
  setLogger({
    error: (...args: unknown[]) => gw.log.warn({ event: 'grpc_js_log', detail: args.map(String).join(' ') }, 'grpc-js reported an error'),
  });
  const health = HealthState();
  const server = createServer({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  const services = server.with(mapErrors(gw.log));
  services.add(FileServiceDefinition, fileService(gw));
  services.add(BatchServiceDefinition, batchService(gw));
  server.add(HealthDefinition, HealthServiceImpl(health));
  server.add(ServerReflectionService, ServerReflection(readFileSync(PROTOSET), SERVICES));
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const port = await server.listen(`${host}:${opts.port}`);
  for (const name of ['', ...SERVICES]) health.setStatus('healthy', name || undefined);
  const connectHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : host;
  return {
    address: `${connectHost}:${port}`,
    port,
    async close(graceMs = 2000) {
      for (const name of ['', ...SERVICES]) health.setStatus('unhealthy', name || undefined);
      // Let running calls finish (WatchBatch ends on the gateway's stopping signal), then cut what is left.
      const grace = setTimeout(() => server.forceShutdown(), graceMs);
      await server.shutdown();
      clearTimeout(grace);
    },
  };
}
