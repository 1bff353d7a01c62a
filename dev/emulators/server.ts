/**
 * The HTTP server and handle shared by both emulators: records each request,
 * applies injected faults, then hands over to the provider's `route` (auth,
 * api-version, endpoints). Every error ends as an error envelope or a
 * destroyed socket, never as an unhandled rejection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from './api-error.js';
import type { Dialect } from './dialect.js';
import { applyFault, FaultList } from './faults.js';
import { FileStore } from './file-store.js';
import { headerRecord, queryRecord, sendError } from './http.js';
import { requestId } from './ids.js';
import { BatchEngine } from './lifecycle.js';
import type { Provider, RequestContext } from './routes.js';
import type { EmulatorOptions, EmulatorTiming, ProviderEmulator, RecordedRequest } from './types.js';

const DEFAULT_TIMING: EmulatorTiming = { validatingMs: 30, inProgressMs: 30, finalizingMs: 30, cancellingMs: 30 };

export interface ProviderSetup {
  dialect: Dialect;
  options: EmulatorOptions;
  /** Checks auth etc. and answers the request; throw ApiError to answer with an error envelope. */
  route(ctx: RequestContext, provider: Provider, apiKey: string): Promise<void> | void;
  /** Extra headers on every response (e.g. Azure's apim-request-id). */
  extraHeaders?(requestId: string): Record<string, string>;
}

/** Delays `res.end` (headers go out with it) by `ms`, cut short when the emulator closes. */
export async function startEmulator(setup: ProviderSetup): Promise<ProviderEmulator> {
  const { dialect, options } = setup;
  const apiKey = options.apiKey ?? dialect.defaultApiKey;
  const files = new FileStore(dialect);
  const batches = new BatchEngine({
    dialect,
    files,
    timing: { ...DEFAULT_TIMING, ...options.timing },
    maxLines: options.maxLines ?? dialect.defaultMaxLines,
    deployments: options.deployments ?? dialect.defaultDeployments,
  });
  const provider: Provider = { dialect, files, batches, maxBatchInputBytes: options.maxBatchInputBytes };
  const faults = new FaultList();
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: queryRecord(url),
      headers: headerRecord(req),
      at: Date.now(),
    };
    requests.push(record);

    const id = requestId();
    res.setHeader('x-request-id', id);
    for (const [name, value] of Object.entries(setup.extraHeaders?.(id) ?? {})) res.setHeader(name, value);

    const fault = faults.take(method, url.pathname);
    if (fault && (await applyFault(fault, req, res, closing.signal)) === 'handled') return;

    await setup.route({ req, res, url, record }, provider, apiKey);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError(500, `Emulator internal error: ${error instanceof Error ? error.message : String(error)}`);
      if (!(error instanceof ApiError)) console.error('emulator: unexpected error', error);
      if (res.headersSent) res.destroy();
      else sendError(res, apiError);
    });
  });
  // Malformed requests and sockets reset by clients (e.g. after a dropped connection) are not test failures.
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    files: files.files,
    batches: batches.batches,
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    advance: (batchId) => batches.advance(batchId),
    finishAll: () => batches.finishAll(),
    expire: (batchId) => batches.expire(batchId),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        batches.stop();
        closing.abort(); // cut short delayed faults
        faults.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
