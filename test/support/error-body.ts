import { secretsToWatch } from './secret-scan.js';

/**
 * What an error body must never hold: a stack trace, SQL, a file path of the server, a provider's URL or an
 * upstream host, a driver's or framework's own error shape. Secrets are the secret scan's (secret-scan.ts).
 */
const LEAKS: [string, RegExp][] = [
  ['a stack trace', /\n\s+at |\bat [\w.<>]+ \(|\.ts:\d+:\d+|\.js:\d+:\d+/],
  ['SQL', /\b(select|insert into|update|delete from)\b[\s\S]*\b(from|values|set|where)\b|\bsqlite_|SQLITE_|\bpg_|violates .* constraint|syntax error at/i],
  ['a server file path', /\/work\/|\/tmp\/|node_modules|\/src\/|\/home\//],
  ['a provider URL', /https?:\/\/(127\.0\.0\.1|localhost)|openai\.azure\.com|api\.openai\.com/],
  ['a framework error shape', /FST_ERR|"statusCode"\s*:|ERR_[A-Z_]+|HPE_/],
  ['a deployment name', /gpt-4o-east|gpt-4o-west/],
];

export interface ErrorEnvelope {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** Returns the problem with an error response's body, or null when it is OpenAI's envelope and leaks nothing. */
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
  for (const [what, re] of LEAKS) if (re.test(text)) return `contains ${what}: ${text.slice(0, 300)}`;
  for (const secret of secretsToWatch()) if (text.includes(secret)) return 'contains a secret';
  return null;
}

/** Throws unless `text` is a clean error envelope; returns its `error`. */
export function cleanError(text: string): ErrorEnvelope {
  const problem = errorBodyProblem(text);
  if (problem) throw new Error(problem);
  return (JSON.parse(text) as { error: ErrorEnvelope }).error;
}
