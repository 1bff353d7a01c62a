import type { ProviderBatch } from '../types.js';
import { metadataFromLabels } from './metadata-labels.js';

/** A Vertex `BatchPredictionJob`, the fields we read (v1 REST). int64 counts arrive as strings. */
export interface BatchPredictionJob {
  name: string;
  state: string;
  createTime?: string;
  startTime?: string;
  endTime?: string;
  updateTime?: string;
  inputConfig?: { gcsSource?: { uris?: string[] } };
  outputInfo?: { gcsOutputDirectory?: string };
  completionStats?: { successfulCount?: string | number; failedCount?: string | number; incompleteCount?: string | number };
  error?: { code?: number; message?: string };
  labels?: Record<string, string>;
}

/** Job states → OpenAI batch statuses (the table; PAUSED and UPDATING are still running). */
const STATUS: Record<string, string> = {
  JOB_STATE_QUEUED: 'validating',
  JOB_STATE_PENDING: 'validating',
  JOB_STATE_RUNNING: 'in_progress',
  JOB_STATE_PAUSED: 'in_progress',
  JOB_STATE_UPDATING: 'in_progress',
  JOB_STATE_SUCCEEDED: 'completed',
  JOB_STATE_PARTIALLY_SUCCEEDED: 'completed',
  JOB_STATE_FAILED: 'failed',
  JOB_STATE_CANCELLING: 'cancelling',
  JOB_STATE_CANCELLED: 'cancelled',
  JOB_STATE_EXPIRED: 'expired',
};

/** The provider file IDs of a finished job's converted output and error lines (see VertexProvider.fileContent). */
export const outputFileId = (dir: string) => `${dir}#output`;
export const errorFileId = (dir: string) => `${dir}#errors`;

/** A job as OpenAI's Batch object: status, timestamps, request_counts from completionStats, the output files. */
export function toProviderBatch(job: BatchPredictionJob, jobId: string): ProviderBatch {
  const status = STATUS[job.state] ?? 'in_progress';
  const seconds = (t?: string) => (t && Number.isFinite(Date.parse(t)) ? Math.floor(Date.parse(t) / 1000) : null);
  const stats = job.completionStats;
  const completed = Number(stats?.successfulCount ?? 0);
  const failed = Number(stats?.failedCount ?? 0);
  const incomplete = Number(stats?.incompleteCount ?? 0);
  const ended = seconds(job.endTime);
  const finished = ['completed', 'failed', 'cancelled', 'expired'].includes(status);
  const dir = finished ? job.outputInfo?.gcsOutputDirectory?.replace(/\/+$/, '') : undefined;
  return {
    id: jobId,
    object: 'batch',
    status,
    endpoint: '/v1/chat/completions',
    input_file_id: job.inputConfig?.gcsSource?.uris?.[0] ?? '',
    completion_window: '24h',
    created_at: seconds(job.createTime) ?? Math.floor(Date.now() / 1000),
    in_progress_at: seconds(job.startTime),
    cancelling_at: status === 'cancelling' ? seconds(job.updateTime) : null,
    completed_at: status === 'completed' ? ended : null,
    failed_at: status === 'failed' ? ended : null,
    cancelled_at: status === 'cancelled' ? ended : null,
    expired_at: status === 'expired' ? ended : null,
    output_file_id: dir && completed > 0 ? outputFileId(dir) : null,
    error_file_id: dir && failed > 0 ? errorFileId(dir) : null,
    request_counts: { total: completed + failed + incomplete, completed, failed },
    metadata: metadataFromLabels(job.labels),
    errors:
      status === 'failed' && job.error
        ? {
            object: 'list',
            data: [
              {
                code: `vertex_${job.error.code ?? 'error'}`,
                message: job.error.message ?? 'The batch prediction job failed',
                param: null,
                line: null,
              },
            ],
          }
        : null,
  };
}
