/**
 * Upstream error bodies sometimes echo request headers or URLs (with keys in them). Everything a provider says
 * goes through here before it can reach a response or a log line.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  // Bearer tokens and api-key values we do not know of (e.g. a provider echoing another credential).
  return out
    .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[redacted]')
    .replace(/(api[-_]?key["'\s:=]+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[redacted]');
}
