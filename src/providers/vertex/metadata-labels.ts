import { ProviderError } from '../types.js';

/**
 * A BatchPredictionJob has no metadata, only `labels` (lowercase letters, digits, `_` and `-`, at most 63
 * characters each, at most 64 labels). The batch's metadata (the caller's, and the gateway's create-intent tag
 * that finds a batch whose create answer was lost) rides there as hex-encoded JSON over numbered labels, so
 * any keys and values round-trip; getBatch and listBatches decode it back.
 */
const PREFIX = 'sluice_metadata_';
const CHUNK = 62;
const MAX_LABELS = 60;

export function metadataLabels(metadata: Record<string, string> | null | undefined): Record<string, string> {
  if (!metadata || Object.keys(metadata).length === 0) return {};
  const hex = Buffer.from(JSON.stringify(metadata), 'utf8').toString('hex');
  const count = Math.ceil(hex.length / CHUNK);
  if (count > MAX_LABELS) {
    throw new ProviderError(
      400,
      `metadata is too large for a Vertex AI batch (at most ${(MAX_LABELS * CHUNK) / 2} bytes as JSON)`,
      'metadata_too_large',
      'metadata',
    );
  }
  const labels: Record<string, string> = {};
  for (let i = 0; i < count; i++) labels[`${PREFIX}${String(i).padStart(2, '0')}`] = hex.slice(i * CHUNK, (i + 1) * CHUNK);
  return labels;
}

export function metadataFromLabels(labels: Record<string, string> | undefined): Record<string, string> | null {
  const keys = Object.keys(labels ?? {})
    .filter((k) => k.startsWith(PREFIX))
    .sort();
  if (keys.length === 0) return null;
  try {
    return JSON.parse(Buffer.from(keys.map((k) => labels![k]).join(''), 'hex').toString('utf8')) as Record<string, string>;
  } catch {
    return null; // labels someone else edited: no metadata rather than a failed poll
  }
}
