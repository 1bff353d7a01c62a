/**
 * Vertex AI `batchPredictionJobs` for Gemini (v1 REST): create, get, list, `:cancel`, delete. Each job moves
 *   JOB_STATE_PENDING → JOB_STATE_RUNNING → JOB_STATE_SUCCEEDED (PARTIALLY_SUCCEEDED when `partialSuccess` and
 *   some lines failed) ; → JOB_STATE_FAILED when its input cannot be read ;
 *   PENDING | RUNNING → JOB_STATE_CANCELLING → JOB_STATE_CANCELLED (a running job keeps the first half of its
 *   lines done) ; → JOB_STATE_EXPIRED via expire()
 * one step per timer tick or advance(). Output goes to `<outputUriPrefix>/prediction-model-<ts>/predictions.jsonl`
 * in the job's bucket; `completionStats` counts are int64 strings, as Google's JSON sends them.
 */
import type { ServerResponse } from 'node:http';
import type { VertexRequestContext } from './context.js';
import type { GcsStore } from './gcs.js';
import { GoogleApiError, readJsonBody, sendGoogleJson } from './google-error.js';
import { predict } from './predictions.js';

export type JobState =
  | 'JOB_STATE_PENDING'
  | 'JOB_STATE_RUNNING'
  | 'JOB_STATE_SUCCEEDED'
  | 'JOB_STATE_PARTIALLY_SUCCEEDED'
  | 'JOB_STATE_FAILED'
  | 'JOB_STATE_CANCELLING'
  | 'JOB_STATE_CANCELLED'
  | 'JOB_STATE_EXPIRED';

export interface EmulatedJob {
  name: string;
  displayName: string;
  model: string;
  inputConfig: { instancesFormat: string; gcsSource: { uris: string[] } };
  outputConfig: { predictionsFormat: string; gcsDestination: { outputUriPrefix: string } };
  state: JobState;
  createTime: string;
  updateTime: string;
  startTime?: string;
  endTime?: string;
  completionStats?: { successfulCount: string; failedCount: string; incompleteCount: string };
  outputInfo?: { gcsOutputDirectory: string };
  error?: { code: number; message: string };
  labels?: Record<string, string>;
}

export interface JobTiming {
  pendingMs: number;
  runningMs: number;
  cancellingMs: number;
}

const TERMINAL = new Set<JobState>([
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_PARTIALLY_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_EXPIRED',
]);

export class JobEngine {
  /** Keyed by the numeric job ID. */
  readonly jobs = new Map<string, EmulatedJob>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private nextId = 1_000_000_000_000_000_000n;
  private stopped = false;

  constructor(
    private readonly gcs: GcsStore,
    private readonly opts: { project: string; location: string; timing: JobTiming; partialSuccess: boolean; models?: string[] },
  ) {}

  async route(ctx: VertexRequestContext): Promise<boolean> {
    const m = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/batchPredictionJobs(?:\/([^/:]+))?(:cancel)?$/.exec(ctx.url.pathname);
    if (!m) return false;
    ctx.authorize();
    const [, project, location, id, cancel] = m;
    if (project !== this.opts.project || location !== this.opts.location) {
      throw new GoogleApiError(403, `Permission denied on resource project ${project} (location ${location}).`);
    }
    const method = ctx.req.method ?? 'GET';
    if (!id && method === 'POST') return (this.create(ctx.res, await readJsonBody(ctx.req)), true);
    if (!id && method === 'GET') return (this.list(ctx.res, ctx.url), true);
    if (id && cancel && method === 'POST') return (this.cancel(ctx.res, id), true);
    if (id && method === 'GET') return (sendGoogleJson(ctx.res, 200, this.get(id)), true);
    if (id && method === 'DELETE') {
      const job = this.get(id);
      if (!TERMINAL.has(job.state))
        throw new GoogleApiError(400, `The BatchPredictionJob cannot be deleted because it is in state ${job.state}.`);
      this.jobs.delete(id);
      return (sendGoogleJson(ctx.res, 200, { name: `${job.name}/operations/delete`, done: true }), true);
    }
    throw new GoogleApiError(404, 'Not found.');
  }

  get(id: string): EmulatedJob {
    const job = this.jobs.get(id);
    if (!job) throw new GoogleApiError(404, `The BatchPredictionJob does not exist.`);
    return job;
  }

  private create(res: ServerResponse, body: Record<string, unknown>): void {
    const model = typeof body.model === 'string' ? body.model : '';
    const modelId = /^publishers\/google\/models\/([^/]+)$/.exec(model)?.[1];
    if (!modelId) throw new GoogleApiError(400, 'model must be "publishers/google/models/<id>".');
    if (this.opts.models && !this.opts.models.includes(modelId)) throw new GoogleApiError(404, `Publisher Model \`${model}\` not found.`);
    const input = body.inputConfig as EmulatedJob['inputConfig'] | undefined;
    const output = body.outputConfig as EmulatedJob['outputConfig'] | undefined;
    if (input?.instancesFormat !== 'jsonl' || !input.gcsSource?.uris?.length)
      throw new GoogleApiError(400, 'inputConfig must be jsonl with gcsSource.uris.');
    if (!input.gcsSource.uris.every((u) => u.startsWith('gs://'))) throw new GoogleApiError(400, 'gcsSource.uris must be gs:// URIs.');
    if (output?.predictionsFormat !== 'jsonl' || !output.gcsDestination?.outputUriPrefix?.startsWith('gs://')) {
      throw new GoogleApiError(400, 'outputConfig must be jsonl with a gs:// gcsDestination.outputUriPrefix.');
    }
    const id = String(this.nextId++);
    const now = new Date().toISOString();
    const job: EmulatedJob = {
      name: `projects/${this.opts.project}/locations/${this.opts.location}/batchPredictionJobs/${id}`,
      displayName: typeof body.displayName === 'string' ? body.displayName : id,
      model,
      inputConfig: input,
      outputConfig: output,
      state: 'JOB_STATE_PENDING',
      createTime: now,
      updateTime: now,
      ...(body.labels ? { labels: body.labels as Record<string, string> } : {}),
    };
    this.jobs.set(id, job);
    this.schedule(id, this.opts.timing.pendingMs);
    sendGoogleJson(res, 200, job);
  }

  private list(res: ServerResponse, url: URL): void {
    const all = [...this.jobs.values()].reverse();
    const size = Math.min(Number(url.searchParams.get('pageSize') ?? 100) || 100, 1000);
    const start = Number(url.searchParams.get('pageToken') ?? 0) || 0;
    sendGoogleJson(res, 200, {
      batchPredictionJobs: all.slice(start, start + size),
      ...(start + size < all.length ? { nextPageToken: String(start + size) } : {}),
    });
  }

  private cancel(res: ServerResponse, id: string): void {
    const job = this.get(id);
    if (TERMINAL.has(job.state))
      throw new GoogleApiError(400, `The BatchPredictionJob cannot be cancelled because it is in state ${job.state}.`);
    if (job.state !== 'JOB_STATE_CANCELLING') {
      this.setState(job, 'JOB_STATE_CANCELLING');
      this.schedule(id, this.opts.timing.cancellingMs);
    }
    sendGoogleJson(res, 200, {}); // google.protobuf.Empty
  }

  /** One lifecycle step now: the next state of one job, or of every unfinished job. */
  advance(id?: string): void {
    for (const jobId of id ? [id] : [...this.jobs.keys()]) this.step(jobId);
  }

  finishAll(): void {
    for (let i = 0; i < 4; i++) this.advance();
  }

  expire(id: string): void {
    const job = this.get(id);
    if (TERMINAL.has(job.state)) return;
    this.clearTimer(id);
    this.finish(job, 'JOB_STATE_EXPIRED', job.state === 'JOB_STATE_RUNNING' ? 0.5 : 0);
  }

  stop(): void {
    this.stopped = true;
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
  }

  private step(id: string): void {
    const job = this.jobs.get(id);
    if (!job || TERMINAL.has(job.state)) return;
    this.clearTimer(id);
    if (job.state === 'JOB_STATE_PENDING') {
      const missing = job.inputConfig.gcsSource.uris.find((u) => !this.gcs.getUri(u));
      if (missing) {
        job.error = { code: 3, message: `Failed to read the input file ${missing}: not found.` };
        this.finish(job, 'JOB_STATE_FAILED', 0);
        return;
      }
      job.startTime = new Date().toISOString();
      this.setState(job, 'JOB_STATE_RUNNING');
      this.schedule(id, this.opts.timing.runningMs);
    } else if (job.state === 'JOB_STATE_RUNNING') this.finish(job, 'JOB_STATE_SUCCEEDED', 1);
    else if (job.state === 'JOB_STATE_CANCELLING') this.finish(job, 'JOB_STATE_CANCELLED', job.startTime ? 0.5 : 0);
  }

  /** Runs `share` of the lines, writes their predictions, sets the stats and the final state. */
  private finish(job: EmulatedJob, state: JobState, share: number): void {
    const lines = job.inputConfig.gcsSource.uris.flatMap((u) =>
      (this.gcs.getUri(u)?.data.toString('utf8') ?? '').split('\n').filter((l) => l.trim()),
    );
    const done = Math.floor(lines.length * share);
    const modelId = job.model.split('/').pop()!;
    const now = new Date();
    const results = lines.slice(0, done).map((l) => predict(l, modelId, now));
    const failed = results.filter((r) => !r.ok).length;
    if (done > 0) {
      const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(job.outputConfig.gcsDestination.outputUriPrefix)!;
      const prefix = m[2].replace(/\/+$/, '');
      const dir = `${prefix ? `${prefix}/` : ''}prediction-model-${now.toISOString().replace(/[:.]/g, '-')}`;
      this.gcs.put(m[1], `${dir}/predictions.jsonl`, Buffer.from(results.map((r) => r.line).join('\n') + '\n'), 'application/jsonl');
      job.outputInfo = { gcsOutputDirectory: `gs://${m[1]}/${dir}` };
    }
    if (state === 'JOB_STATE_SUCCEEDED' && failed > 0 && this.opts.partialSuccess) state = 'JOB_STATE_PARTIALLY_SUCCEEDED';
    if (state !== 'JOB_STATE_FAILED') {
      job.completionStats = {
        successfulCount: String(done - failed),
        failedCount: String(failed),
        incompleteCount: String(lines.length - done),
      };
    }
    job.endTime = now.toISOString();
    this.setState(job, state);
  }

  private setState(job: EmulatedJob, state: JobState): void {
    job.state = state;
    job.updateTime = new Date().toISOString();
  }

  private schedule(id: string, ms: number): void {
    if (this.stopped) return;
    this.clearTimer(id);
    const timer = setTimeout(() => this.step(id), ms);
    timer.unref();
    this.timers.set(id, timer);
  }

  private clearTimer(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }
}
