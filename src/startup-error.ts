/**
 * The gateway cannot start where it was asked to (database unreachable, address in use or not this machine's):
 * a problem of the environment, not a bug, so main.ts prints the message as one line, without a stack.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

const PLAIN: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'this machine has no such address',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'the host name could not be resolved',
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'timed out',
};

/** What an operator needs from a failed listen or connect: the cause in words, and the code to search for. */
export function describeSystemError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code ?? /\b(E[A-Z_]{4,})\b/.exec(String(e?.message))?.[1];
  if (code && PLAIN[code]) return `${PLAIN[code]} (${code})`;
  return String(e?.message ?? err).split('\n')[0];
}
