import { leakIn } from './leak-patterns.js';
import { secretsToWatch } from './secret-scan.js';

export interface ErrorEnvelope {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** The problem with an error response's body, or null when it is OpenAI's envelope, bounded, and leaks nothing (leak-patterns.ts). */
export function errorBodyProblem(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  const error = (parsed as { error?: ErrorEnvelope })?.error;
  if (!error || typeof error.message !== 'string' || typeof error.type !== 'string' || !('param' in error) || !('code' in error)) {
    return `not OpenAI's error envelope: ${text.slice(0, 200)}`;
  }
  if (text.length > 4000) return `an error body of ${text.length} characters: input echoed unbounded?`;
  const leak = leakIn(text);
  if (leak) return `contains ${leak}: ${text.slice(0, 300)}`;
  for (const secret of secretsToWatch()) if (text.includes(secret)) return 'contains a secret';
  return null;
}

/** Throws unless `text` is a clean error envelope; returns its `error`. */
export function cleanError(text: string): ErrorEnvelope {
  const problem = errorBodyProblem(text);
  if (problem) throw new Error(problem);
  return (JSON.parse(text) as { error: ErrorEnvelope }).error;
}
