/**
 * A stateful emulator of what a Vertex AI Gemini batch deployment talks to, on one port: Google's OAuth token
 * endpoint (`/token`, checks the service account's signed JWT), the Cloud Storage JSON API subset the
 * official library uses (`/storage/v1`, `/upload/storage/v1`), and Vertex `batchPredictionJobs` (`/v1/projects/…`).
 *
 *   const vertex = await startVertexEmulator({ project: 'p', location: 'us-central1' });
 *   // vertex_credentials: JSON.stringify(vertex.serviceAccountKey)   (its token_uri is vertex.url + '/token')
 *   // api_base: vertex.url, gcs_api_base: vertex.url
 *
 * Faults (the same `Fault` as the OpenAI/Azure emulators) apply before auth and routing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyFault, FaultList } from '../faults.js';
import { headerRecord, queryRecord } from '../http.js';
import type { Fault, RecordedRequest } from '../types.js';
import { JobEngine, type EmulatedJob, type JobTiming } from './batch-jobs.js';
import type { VertexRequestContext } from './context.js';
import { GcsStore, type GcsObject } from './gcs.js';

export type { GcsObject } from './gcs.js';
import { GoogleApiError, sendGoogleJson } from './google-error.js';
import { TokenIssuer } from './oauth.js';
import { makeServiceAccount, type ServiceAccount } from './service-account.js';

export type { EmulatedJob, JobState, JobTiming } from './batch-jobs.js';

export interface VertexEmulatorOptions {
  project?: string;
  location?: string;
  port?: number;
  timing?: Partial<JobTiming>;
  /** Gemini model IDs that exist (default: any). */
  models?: string[];
  /** End a job with failed lines in JOB_STATE_PARTIALLY_SUCCEEDED instead of SUCCEEDED. */
  partialSuccess?: boolean;
  /** Lifetime of an access token; default 3600 s. */
  tokenTtlSeconds?: number;
}

export interface VertexEmulator {
  url: string;
  project: string;
  location: string;
  /** The service account key file to configure as `vertex_credentials`. */
  serviceAccountKey: ServiceAccount['key'];
  requests: RecordedRequest[];
  /** Objects by `bucket/name`. */
  objects: Map<string, GcsObject>;
  /** Jobs by numeric ID. */
  jobs: Map<string, EmulatedJob>;
  tokens: TokenIssuer;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  advance(jobId?: string): void;
  finishAll(): void;
  expire(jobId: string): void;
  close(): Promise<void>;
}

const DEFAULT_TIMING: JobTiming = { pendingMs: 30, runningMs: 30, cancellingMs: 30 };

export async function startVertexEmulator(options: VertexEmulatorOptions = {}): Promise<VertexEmulator> {
  const project = options.project ?? 'sluice-emulated';
  const location = options.location ?? 'us-central1';
  const gcs = new GcsStore();
  const jobs = new JobEngine(gcs, {
    project,
    location,
    timing: { ...DEFAULT_TIMING, ...options.timing },
    partialSuccess: options.partialSuccess ?? false,
    models: options.models,
  });
  const faults = new FaultList();
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  let baseUrl = '';
  let tokens: TokenIssuer;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    requests.push({ method, path: url.pathname, query: queryRecord(url), headers: headerRecord(req), at: Date.now() });
    const fault = faults.take(method, url.pathname);
    if (fault && (await applyFault(fault, req, res, closing.signal)) === 'handled') return;
    if (url.pathname === '/token' && method === 'POST') return tokens.handle(req, res);
    const ctx: VertexRequestContext = {
      req,
      res,
      url,
      baseUrl,
      authorize: () => {
        if (!tokens.isValid(req.headers.authorization)) {
          throw new GoogleApiError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
        }
      },
    };
    if (await gcs.route(ctx)) return;
    if (await jobs.route(ctx)) return;
    throw new GoogleApiError(404, `Not found: ${method} ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const e =
        error instanceof GoogleApiError
          ? error
          : new GoogleApiError(500, `Emulator internal error: ${(error as Error)?.message ?? String(error)}`);
      if (!(error instanceof GoogleApiError)) console.error('vertex emulator: unexpected error', error);
      if (res.headersSent) res.destroy();
      else sendGoogleJson(res, e.status, e.envelope());
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const account = makeServiceAccount(project, `${baseUrl}/token`);
  tokens = new TokenIssuer(account, options.tokenTtlSeconds ?? 3600);

  let closed: Promise<void> | undefined;
  return {
    url: baseUrl,
    project,
    location,
    serviceAccountKey: account.key,
    requests,
    objects: gcs.objects,
    jobs: jobs.jobs,
    tokens,
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    advance: (id) => jobs.advance(id),
    finishAll: () => jobs.finishAll(),
    expire: (id) => jobs.expire(id),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        jobs.stop();
        closing.abort();
        faults.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
