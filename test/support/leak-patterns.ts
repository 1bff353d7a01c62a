/**
 * What an error body must never hold: a stack trace, SQL, a file path of the server, a provider's URL or an
 * upstream host, a framework's own error shape, a deployment's name. (Secrets are secret-scan.ts's business.)
 */
const LEAKS: [string, RegExp][] = [
  ['a stack trace', /\n\s+at |\bat [\w.<>]+ \(|\.ts:\d+:\d+|\.js:\d+:\d+/],
  [
    'SQL',
    /\b(select|insert into|update|delete from)\b[\s\S]*\b(from|values|set|where)\b|\bsqlite_|SQLITE_|\bpg_|violates .* constraint|syntax error at/i,
  ],
  ['a server file path', /\/work\/|\/tmp\/|node_modules|\/src\/|\/home\//],
  ['a provider URL', /https?:\/\/(127\.0\.0\.1|localhost)|openai\.azure\.com|api\.openai\.com/],
  ['a framework error shape', /FST_ERR|"statusCode"\s*:|ERR_[A-Z_]+|HPE_/],
  ['a deployment name', /gpt-4o-east|gpt-4o-west/],
];

/** What `text` (an error response's body) leaks, or null. */
export function leakIn(text: string): string | null {
  for (const [what, re] of LEAKS) if (re.test(text)) return what;
  return null;
}
