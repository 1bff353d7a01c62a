import { JWT } from 'google-auth-library';
import type { ServiceAccountKey } from '../../config/types.js';

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

/**
 * google-auth-library's service-account client: signs the JWT, exchanges it for an access token, caches it and
 * refreshes it before it expires. This version always posts to Google's token URL, so when the key's
 * `token_uri` names another endpoint (an emulator, a private Google endpoint) the one request is redirected
 * there; the JWT's audience stays Google's, as the real endpoint expects.
 */
export function serviceAccountClient(key: ServiceAccountKey): JWT {
  const client = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: SCOPES });
  const tokenUri = key.token_uri;
  if (tokenUri && tokenUri !== GOOGLE_TOKEN_URL) {
    client.transporter.interceptors.request.add({
      resolved: async (opts) => {
        if (String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(tokenUri);
        return opts;
      },
    });
  }
  return client;
}

/** A current access token (cached by the client until shortly before it expires). */
export async function accessToken(client: JWT): Promise<string> {
  const { token } = await client.getAccessToken();
  if (!token) throw new Error('the service account got no access token');
  return token;
}
