/**
 * Starts sluice with emulated deployments and keeps it running, for trying the clients and examples:
 *   npm exec -- tsx scripts/serve-emulated.ts [--port 4000] [--grpc-port 50051]
 * Prints the HTTP and gRPC addresses and the master key as one JSON line.
 */
import { parseArgs } from 'node:util';
import { MASTER_KEY, startEmulatedStack } from '../dev/emulated-stack.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4000' }, 'grpc-port': { type: 'string', default: '50051' } } });
const s = await startEmulatedStack({
  db: 'sqlite',
  port: Number(values.port),
  grpcPort: Number(values['grpc-port']),
  timing: { validatingMs: 300, inProgressMs: 300, finalizingMs: 300, cancellingMs: 300 },
});
console.log(JSON.stringify({ url: s.url, grpc: s.grpcAddress, key: MASTER_KEY }));
const stop = () => void s.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
