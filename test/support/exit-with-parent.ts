/**
 * Test-only preload (`node --import ./test/support/exit-with-parent.ts`) for gateways spawned by the tests
 * (sluice-process.ts). The parent keeps the child's stdin open as a pipe; when the parent dies, whatever the way
 * (a timed-out test, vitest killed, SIGKILL), the pipe closes and the child ends itself, so no orphan
 * `src/main.ts` keeps running. It ends with SIGKILL, not a clean stop: the dead parent took the child's stdout
 * with it, and pino's synchronous log writes then retry EPIPE forever, so a clean stop would hang on its first
 * log line. Never loaded by `npm start`: shipped code does not run it.
 */
const stdin = process.stdin;
stdin.on('data', () => undefined); // read (and drop) anything, so that the end of the pipe is noticed
stdin.once('close', () => process.kill(process.pid, 'SIGKILL'));
stdin.resume();
// The pipe must not keep a gateway that stopped on its own from exiting.
(stdin as unknown as { unref?: () => void }).unref?.();
