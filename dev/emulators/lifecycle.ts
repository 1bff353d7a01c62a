/**
 * Batch state machine. Each batch moves
 *   validating -> failed | in_progress -> finalizing -> completed
 *   (validating | in_progress | finalizing) -> cancelling -> cancelled
 *   (validating | in_progress | finalizing) -> expired   (only via expire())
 * one step per timer tick (EmulatorTiming) or per advance() call, setting the
 * matching timestamp as it goes. Output/error files are written when the
 * batch reaches completed, cancelled or expired.
 */
import { badRequest, notFound } from './api-error.js';
import type { CreateBatchParams } from './batch-request.js';
import type { Dialect } from './dialect.js';
import { nowSeconds, page, type FileStore } from './file-store.js';
import { checkInput, readLinesLeniently, type InputLine } from './input-validation.js';
import { jsonl, lineResults, type LineResults, type NotExecuted } from './line-results.js';
import type { BatchStatus, EmulatedBatch, EmulatorTiming } from './types.js';

export interface EngineConfig {
  dialect: Dialect;
  files: FileStore;
  timing: EmulatorTiming;
  maxLines: number;
  deployments: string[] | undefined;
}

/** Per-batch state that is not part of the Batch object. */
interface BatchWork {
  /** Input file bytes as they were at create time (later deletes don't disturb a running batch). */
  input: Buffer;
  lines?: InputLine[];
  /** Decided when processing ends (finalizing) or is cut short (cancel/expire). */
  results?: LineResults;
  outputExpiresAfterSeconds?: number;
  timer?: NodeJS.Timeout | undefined;
}

const TERMINAL: ReadonlySet<BatchStatus> = new Set(['failed', 'completed', 'expired', 'cancelled']);
export const isTerminal = (status: BatchStatus): boolean => TERMINAL.has(status);

const ONE_DAY = 24 * 3600;

const CANCELLED: NotExecuted = {
  code: 'batch_cancelled',
  message: 'This request was not executed because the batch was cancelled before it could be processed.',
};
const EXPIRED: NotExecuted = {
  code: 'batch_expired',
  message: 'This request could not be executed before the completion window expired.',
};

export class BatchEngine {
  readonly batches = new Map<string, EmulatedBatch>();
  private readonly work = new Map<string, BatchWork>();
  private stopped = false;

  constructor(private readonly config: EngineConfig) {}

  create(params: CreateBatchParams): EmulatedBatch {
    const { dialect, files } = this.config;
    const created_at = nowSeconds();
    const batch: EmulatedBatch = {
      id: dialect.newBatchId(),
      object: 'batch',
      endpoint: params.endpoint,
      ...(dialect.reportsModelAndUsage ? { model: null } : {}),
      errors: null,
      input_file_id: params.input_file_id,
      completion_window: params.completion_window,
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at,
      in_progress_at: null,
      expires_at: created_at + ONE_DAY,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      ...(dialect.reportsModelAndUsage ? { usage: usageObject(0, 0) } : {}),
      metadata: params.metadata,
    };
    this.batches.set(batch.id, batch);
    this.work.set(batch.id, {
      input: files.get(params.input_file_id).content,
      ...(params.outputExpiresAfterSeconds === undefined ? {} : { outputExpiresAfterSeconds: params.outputExpiresAfterSeconds }),
    });
    this.schedule(batch);
    return batch;
  }

  get(id: string): EmulatedBatch {
    const batch = this.batches.get(id);
    if (!batch) throw notFound(`No batch found with id '${id}'.`, 'batch_id');
    return batch;
  }

  /** Newest first; batches created in the same second come latest-created first. */
  list(after: string | undefined, limit: number): { data: EmulatedBatch[]; has_more: boolean } {
    const ordered = [...this.batches.values()].sort((a, b) => a.created_at - b.created_at).reverse();
    return page(ordered, after, limit);
  }

  cancel(id: string): EmulatedBatch {
    const batch = this.get(id);
    if (batch.status === 'cancelling') return batch; // already on its way; a retried cancel is harmless
    if (isTerminal(batch.status)) {
      throw badRequest(`Cannot cancel a batch with status '${batch.status}'.`, null, 'batch_not_cancellable');
    }
    const work = this.workFor(batch);
    this.clearTimer(work);
    work.results ??= this.cutShort(batch, work, CANCELLED);
    applyCounts(batch, work.results);
    batch.status = 'cancelling';
    batch.cancelling_at = nowSeconds();
    this.schedule(batch);
    return batch;
  }

  expire(id: string): void {
    const batch = this.get(id);
    if (isTerminal(batch.status) || batch.status === 'cancelling') {
      throw new Error(`emulator: batch ${id} is ${batch.status}; only running batches can expire`);
    }
    const work = this.workFor(batch);
    this.clearTimer(work);
    work.results ??= this.cutShort(batch, work, EXPIRED);
    applyCounts(batch, work.results);
    batch.status = 'expired';
    batch.expired_at = nowSeconds();
    this.writeResultFiles(batch, work.results);
  }

  /** One lifecycle step for one batch, or for every batch not yet terminal. */
  advance(id?: string): void {
    if (id !== undefined) {
      if (!this.batches.has(id)) throw new Error(`emulator: no batch ${id}`);
      this.step(id);
      return;
    }
    for (const batch of [...this.batches.values()]) {
      if (!isTerminal(batch.status)) this.step(batch.id);
    }
  }

  finishAll(): void {
    for (const batch of [...this.batches.values()]) {
      for (let guard = 0; guard < 10 && !isTerminal(batch.status); guard++) this.step(batch.id);
    }
  }

  /** Stops all timers; the emulator is closing. */
  stop(): void {
    this.stopped = true;
    for (const work of this.work.values()) this.clearTimer(work);
  }

  private step(id: string): void {
    const batch = this.batches.get(id);
    if (!batch) return; // a test removed it from the map
    const work = this.workFor(batch);
    this.clearTimer(work);
    const now = nowSeconds();

    switch (batch.status) {
      case 'validating': {
        const check = checkInput(work.input, {
          dialect: this.config.dialect,
          endpoint: batch.endpoint,
          maxLines: this.config.maxLines,
          deployments: this.config.deployments,
        });
        if (!check.ok) {
          batch.status = 'failed';
          batch.failed_at = now;
          batch.errors = { object: 'list', data: check.errors };
          break;
        }
        work.lines = check.lines;
        if (this.config.dialect.reportsModelAndUsage) batch.model = check.model;
        batch.status = 'in_progress';
        batch.in_progress_at = now;
        batch.request_counts = { total: check.lines.length, completed: 0, failed: 0 };
        break;
      }
      case 'in_progress': {
        const lines = work.lines ?? [];
        work.results = lineResults(lines, batch.endpoint, lines.length);
        applyCounts(batch, work.results);
        batch.status = 'finalizing';
        batch.finalizing_at = now;
        break;
      }
      case 'finalizing': {
        const lines = work.lines ?? [];
        work.results ??= lineResults(lines, batch.endpoint, lines.length);
        batch.status = 'completed';
        batch.completed_at = now;
        this.writeResultFiles(batch, work.results);
        break;
      }
      case 'cancelling': {
        work.results ??= this.cutShort(batch, work, CANCELLED);
        batch.status = 'cancelled';
        batch.cancelled_at = now;
        this.writeResultFiles(batch, work.results);
        break;
      }
      default:
        return; // terminal
    }
    this.schedule(batch);
  }

  /**
   * Results for a batch stopped early: nothing ran if it was still validating,
   * half the lines ran if it was in progress, all of them if it was finalizing.
   */
  private cutShort(batch: EmulatedBatch, work: BatchWork, reason: NotExecuted): LineResults {
    if (batch.status === 'validating' || !work.lines) {
      const lines = readLinesLeniently(work.input);
      batch.request_counts.total = lines.length;
      return lineResults(lines, batch.endpoint, 0, reason);
    }
    const done = batch.status === 'in_progress' ? Math.floor(work.lines.length / 2) : work.lines.length;
    return lineResults(work.lines, batch.endpoint, done, reason);
  }

  private writeResultFiles(batch: EmulatedBatch, results: LineResults): void {
    const { dialect, files } = this.config;
    const expiry = this.work.get(batch.id)?.outputExpiresAfterSeconds;
    const store = (suffix: string, lines: string[]): string =>
      files.add({
        filename: `${batch.id}_${suffix}.jsonl`,
        purpose: 'batch_output',
        content: jsonl(lines),
        ...(expiry === undefined ? {} : { expiresAfterSeconds: expiry }),
      }).id;

    if (results.outputLines.length > 0) batch.output_file_id = store('output', results.outputLines);
    const wantErrorFile = results.errorLines.length > 0 || (dialect.alwaysErrorFile && batch.status === 'completed');
    if (wantErrorFile) batch.error_file_id = store('error', results.errorLines);
    if (dialect.reportsModelAndUsage) batch.usage = usageObject(results.usage.input, results.usage.output);
  }

  private schedule(batch: EmulatedBatch): void {
    if (this.stopped || isTerminal(batch.status)) return;
    const { timing } = this.config;
    const delay = {
      validating: timing.validatingMs,
      in_progress: timing.inProgressMs,
      finalizing: timing.finalizingMs,
      cancelling: timing.cancellingMs,
    }[batch.status as 'validating' | 'in_progress' | 'finalizing' | 'cancelling'];
    const work = this.workFor(batch);
    work.timer = setTimeout(() => {
      work.timer = undefined;
      try {
        this.step(batch.id);
      } catch (error) {
        // A timer has no caller to report to; keep the process alive and make the problem visible.
        console.error(`emulator: lifecycle step for ${batch.id} failed`, error);
      }
    }, delay);
    work.timer.unref(); // a forgotten close() must not keep the test process alive
  }

  private clearTimer(work: BatchWork): void {
    if (work.timer) clearTimeout(work.timer);
    work.timer = undefined;
  }

  /** Work for a batch; batches a test put straight into the map get theirs from the input file now. */
  private workFor(batch: EmulatedBatch): BatchWork {
    let work = this.work.get(batch.id);
    if (!work) {
      work = { input: this.config.files.files.get(batch.input_file_id)?.content ?? Buffer.alloc(0) };
      this.work.set(batch.id, work);
    }
    return work;
  }
}

function applyCounts(batch: EmulatedBatch, results: LineResults): void {
  batch.request_counts = { total: batch.request_counts.total, completed: results.completed, failed: results.failed };
}

function usageObject(input: number, output: number): NonNullable<EmulatedBatch['usage']> {
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}
