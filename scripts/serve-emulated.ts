/**
 * Starts sluice with emulated deployments (the test stack) and keeps it running, for trying the clients:
 *   npm exec -- tsx scripts/serve-emulated.ts        # prints the HTTP and gRPC addresses and the master key
 */
import { MASTER_KEY, startStack } from '../test/support/stack.js';

const s = await startStack({ db: 'sqlite', timing: { validatingMs: 300, inProgressMs: 300, finalizingMs: 300, cancellingMs: 300 } });
console.log(JSON.stringify({ url: s.url, grpc: s.grpcAddress, key: MASTER_KEY }));
const stop = () => void s.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
