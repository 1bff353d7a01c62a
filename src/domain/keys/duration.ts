import { echo } from '../echo.js';
import { invalidRequest } from '../errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, mo: 2_592_000 };

/** The longest key lifetime: ten years. LiteLLM sets no bound; an unbounded one made dates no one can print. */
export const MAX_DURATION_SECONDS = 10 * 365 * 86_400;
/** `expires_at` is a 32-bit column (Unix seconds): nothing may expire after January 2038. */
const LAST_EXPIRY = 2_147_483_647;

const invalid = (value: string, why: string) => invalidRequest(`Invalid duration '${echo(value)}': ${why}`, 'duration', 'invalid_value');

/** LiteLLM's key durations: "30s", "15m", "12h", "30d", "2w", "1mo". */
export function parseDuration(value: string): number {
  const m = /^(\d{1,12})\s*(s|m|h|d|w|mo)$/.exec(value.trim());
  if (!m) throw invalid(value, 'use a number and one of s, m, h, d, w, mo (e.g. "30d")');
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2]];
  if (seconds > MAX_DURATION_SECONDS) throw invalid(value, 'a key lives at most 10 years (3650d)');
  return seconds;
}

/** When a key made now with `duration` expires (Unix seconds); checked before anything is saved. */
export function expiryOf(duration: string, nowSeconds: number): number {
  const at = nowSeconds + parseDuration(duration);
  if (at > LAST_EXPIRY) throw invalid(duration, 'the key would expire after 2038-01-19, the latest date sluice can store');
  return at;
}
