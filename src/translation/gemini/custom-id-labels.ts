/**
 * Vertex batch lines have no custom_id, but every output line echoes its request, so the custom_id rides in
 * the request's `labels`. Label values may only hold lowercase letters, digits, `_` and `-`, at most 63
 * characters: an ID that fits goes as it is (readable in the GCS files); any other is hex-encoded over
 * numbered labels (31 bytes each), which round-trips any string.
 */
const PLAIN = 'sluice_custom_id';
const HEX_PREFIX = 'sluice_custom_id_hex_';
const HEX_CHUNK = 62; // hex characters per label (≤ 63, even)
/** Vertex allows 64 labels per request; leave a few for the caller's own. */
const MAX_HEX_LABELS = 48;
export const MAX_ENCODED_CUSTOM_ID_BYTES = (MAX_HEX_LABELS * HEX_CHUNK) / 2;

export function customIdLabels(customId: string): Record<string, string> | null {
  if (/^[a-z0-9_-]{1,63}$/.test(customId)) return { [PLAIN]: customId };
  const hex = Buffer.from(customId, 'utf8').toString('hex');
  const labels: Record<string, string> = {};
  const count = Math.ceil(hex.length / HEX_CHUNK);
  if (count > MAX_HEX_LABELS) return null;
  for (let i = 0; i < count; i++) labels[`${HEX_PREFIX}${String(i).padStart(2, '0')}`] = hex.slice(i * HEX_CHUNK, (i + 1) * HEX_CHUNK);
  return labels;
}

export function customIdFromLabels(labels: unknown): string | null {
  if (!labels || typeof labels !== 'object') return null;
  const map = labels as Record<string, unknown>;
  if (typeof map[PLAIN] === 'string') return map[PLAIN] as string;
  const parts = Object.keys(map)
    .filter((k) => k.startsWith(HEX_PREFIX))
    .sort()
    .map((k) => String(map[k]));
  return parts.length ? Buffer.from(parts.join(''), 'hex').toString('utf8') : null;
}
