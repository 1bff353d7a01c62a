/**
 * Scripted failures (rate limits, 5xx, slow answers, dropped connections) so
 * tests can check how sluice retries and reports upstream trouble.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { typeForStatus } from './api-error.js';
import type { Fault } from './types.js';

interface ArmedFault extends Fault {
  remaining: number;
}

export type FaultOutcome = 'handled' | 'continue';

export class FaultList {
  private faults: ArmedFault[] = [];

  add(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? Infinity });
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * Claims the first fault matching the request, counting it as used now (so
   * concurrent requests cannot overspend `times`).
   */
  take(method: string, pathname: string): Fault | undefined {
    const index = this.faults.findIndex((f) => matches(f, method, pathname));
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

function matches(fault: Fault, method: string, pathname: string): boolean {
  if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) return false;
  if (fault.path === undefined) return true;
  if (typeof fault.path === 'string') return pathname.startsWith(fault.path);
  fault.path.lastIndex = 0; // a /g or /y RegExp would otherwise remember the last match
  return fault.path.test(pathname);
}

/**
 * Applies a claimed fault: waits `delayMs` (cut short by `signal` when the
 * emulator closes), then drops the connection, or answers `status`, or lets
 * the request continue to the routes.
 */
export async function applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<FaultOutcome> {
  if (fault.delayMs && fault.delayMs > 0) {
    try {
      await sleep(fault.delayMs, undefined, { signal });
    } catch {
      req.socket.destroy();
      return 'handled';
    }
  }
  if (fault.dropConnection) {
    req.socket.destroy();
    return 'handled';
  }
  if (fault.status === undefined) {
    if (fault.holdAnswerMs || fault.loseAnswer) holdOrLoseAnswer(fault, res, signal);
    return 'continue';
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(fault.headers ?? {})) headers[name.toLowerCase()] = value;
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  const body = fault.body ?? {
    error: {
      message: `Emulated upstream fault (HTTP ${fault.status}).`,
      type: typeForStatus(fault.status),
      param: null,
      code: fault.status === 429 ? 'rate_limit_exceeded' : null,
    },
  };
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  headers['content-type'] ??= typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  headers['content-length'] = String(Buffer.byteLength(text));
  if (!res.headersSent && !res.destroyed) {
    res.writeHead(fault.status, headers);
    res.end(text);
  }
  return 'handled';
}

/**
 * For `holdAnswerMs` / `loseAnswer`: the routes run as usual (the object is created), but the response's end is
 * held, then sent or replaced by a dropped connection. Headers written by the route wait with it (Node sends them
 * with the first body bytes, which `end` carries here).
 */
function holdOrLoseAnswer(fault: Fault, res: ServerResponse, signal: AbortSignal): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    void sleep(fault.holdAnswerMs ?? 0, undefined, { signal })
      .catch(() => undefined)
      .then(() => {
        if (fault.loseAnswer || signal.aborted) res.socket?.destroy();
        else end(...args);
      });
    return res;
  }) as typeof res.end;
}
