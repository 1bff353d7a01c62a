import { invalidRequest } from '../errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, mo: 2_592_000 };

/** LiteLLM's key durations: "30s", "15m", "12h", "30d", "2w", "1mo". */
export function parseDuration(value: string): number {
  const m = /^(\d+)\s*(s|m|h|d|w|mo)$/.exec(value.trim());
  if (!m) throw invalidRequest(`Invalid duration '${value}': use a number and one of s, m, h, d, w, mo (e.g. "30d")`, 'duration');
  return Number(m[1]) * UNIT_SECONDS[m[2]];
}
