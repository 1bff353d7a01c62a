/**
 * The caller's key from its credentials, the same on every transport: `Authorization: Bearer <key>`, or
 * `api-key: <key>` (Azure-style clients) / `x-api-key: <key>`. `get` reads one header or metadata entry.
 * A malformed Authorization header is no key at all (a 401), never another header's key.
 */
export function bearerToken(get: (name: string) => string | undefined): string | undefined {
  const auth = get('authorization');
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return m ? m[1].trim() : undefined;
  }
  const apiKey = get('api-key') ?? get('x-api-key');
  return apiKey ? apiKey.trim() : undefined;
}
