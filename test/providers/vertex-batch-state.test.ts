import { describe, expect, it } from 'vitest';
import { toProviderBatch, type BatchPredictionJob } from '../../src/providers/vertex/batch-state.js';

const job = (state: string, extra: Partial<BatchPredictionJob> = {}): BatchPredictionJob => ({
  name: 'projects/p/locations/l/batchPredictionJobs/123',
  state,
  createTime: '2026-01-01T00:00:00Z',
  inputConfig: { gcsSource: { uris: ['gs://b/sluice/files/x/d.jsonl'] } },
  ...extra,
});

describe('Vertex job → OpenAI Batch', () => {
  it.each([
    ['JOB_STATE_QUEUED', 'validating'],
    ['JOB_STATE_PENDING', 'validating'],
    ['JOB_STATE_RUNNING', 'in_progress'],
    ['JOB_STATE_PAUSED', 'in_progress'],
    ['JOB_STATE_UPDATING', 'in_progress'],
    ['JOB_STATE_SUCCEEDED', 'completed'],
    ['JOB_STATE_PARTIALLY_SUCCEEDED', 'completed'],
    ['JOB_STATE_FAILED', 'failed'],
    ['JOB_STATE_CANCELLING', 'cancelling'],
    ['JOB_STATE_CANCELLED', 'cancelled'],
    ['JOB_STATE_EXPIRED', 'expired'],
  ])('%s → %s', (state, status) => {
    expect(toProviderBatch(job(state), '123').status).toBe(status);
  });

  it('maps completionStats (int64 strings) to request_counts and names the output and error files of a finished job', () => {
    const done = toProviderBatch(
      job('JOB_STATE_PARTIALLY_SUCCEEDED', {
        startTime: '2026-01-01T00:01:00Z',
        endTime: '2026-01-01T00:02:00Z',
        completionStats: { successfulCount: '7', failedCount: '2', incompleteCount: '1' },
        outputInfo: { gcsOutputDirectory: 'gs://b/sluice/batches/u/prediction-model-1/' },
      }),
      '123',
    );
    expect(done).toMatchObject({
      id: '123',
      status: 'completed',
      input_file_id: 'gs://b/sluice/files/x/d.jsonl',
      created_at: 1767225600,
      in_progress_at: 1767225660,
      completed_at: 1767225720,
      request_counts: { total: 10, completed: 7, failed: 2 },
      output_file_id: 'gs://b/sluice/batches/u/prediction-model-1#output',
      error_file_id: 'gs://b/sluice/batches/u/prediction-model-1#errors',
      errors: null,
    });
  });

  it('a running job has no files yet; a job without failures no error file; a failed job carries its error', () => {
    const running = toProviderBatch(
      job('JOB_STATE_RUNNING', { outputInfo: { gcsOutputDirectory: 'gs://b/d' }, completionStats: { successfulCount: 1 } }),
      '1',
    );
    expect([running.output_file_id, running.error_file_id]).toEqual([null, null]);
    const clean = toProviderBatch(
      job('JOB_STATE_SUCCEEDED', {
        outputInfo: { gcsOutputDirectory: 'gs://b/d' },
        completionStats: { successfulCount: '3', failedCount: '0' },
      }),
      '1',
    );
    expect([clean.output_file_id, clean.error_file_id]).toEqual(['gs://b/d#output', null]);
    const failed = toProviderBatch(
      job('JOB_STATE_FAILED', { endTime: '2026-01-01T00:00:10Z', error: { code: 3, message: 'Failed to read the input file.' } }),
      '1',
    );
    expect(failed).toMatchObject({
      status: 'failed',
      failed_at: 1767225610,
      errors: { object: 'list', data: [{ code: 'vertex_3', message: 'Failed to read the input file.', param: null, line: null }] },
      request_counts: { total: 0, completed: 0, failed: 0 },
    });
  });
});

describe('batch metadata in Vertex job labels', () => {
  it('round-trips any keys and values through label-safe hex chunks, and refuses what cannot fit', async () => {
    const { metadataFromLabels, metadataLabels } = await import('../../src/providers/vertex/metadata-labels.js');
    const metadata = { job: 'Nightly Run #7', sluice_intent: 'bci_AbCdEf0123', ünï: 'cødé' };
    const labels = metadataLabels(metadata);
    for (const [k, v] of Object.entries(labels)) {
      expect(k).toMatch(/^[a-z][a-z0-9_-]{0,62}$/);
      expect(v).toMatch(/^[a-z0-9_-]{0,63}$/);
    }
    expect(metadataFromLabels(labels)).toEqual(metadata);
    expect(toProviderBatch(job('JOB_STATE_RUNNING', { labels }), '1').metadata).toEqual(metadata);
    expect(metadataLabels(null)).toEqual({});
    expect(metadataFromLabels({ other: 'x' })).toBeNull();
    const big = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'.repeat(200)]));
    expect(() => metadataLabels(big)).toThrow(/metadata is too large for a Vertex AI batch/);
  });
});
