import { startEmulatedStack, type EmulatedStack, type EmulatedStackOptions } from '../../dev/emulated-stack.js';
import { assertNoSecretLeaks, watchGateway, watchSecret } from './secret-scan.js';

export { AZURE_KEY_EAST, AZURE_KEY_WEST, chatJsonl, MASTER_KEY, OPENAI_KEY } from '../../dev/emulated-stack.js';
export type Stack = EmulatedStack;
export type StackOptions = EmulatedStackOptions;

/**
 * The full stack of an end-to-end test (dev/emulated-stack.ts), watched by the secret scan: every response is
 * scanned, and closing it asserts that no provider or key secret reached a response or a log line.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const stack = await startEmulatedStack(opts);
  watchGateway(stack.url);
  // A line of the Vertex service account's private key (64 base64 characters), when the stack has one.
  if (stack.vertex) watchSecret(stack.vertex.serviceAccountKey.private_key.split('\n')[1]);
  return {
    ...stack,
    async close() {
      await stack.close();
      assertNoSecretLeaks(stack.logs);
    },
  };
}
