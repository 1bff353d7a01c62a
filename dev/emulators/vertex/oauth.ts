/**
 * Google's OAuth 2.0 token endpoint for service accounts (RFC 7523 JWT bearer grant): checks the signed JWT the
 * way Google does — RS256 signature by the account's key, `iss` the account's email, `aud` the token URL,
 * a `scope`, and a fresh `iat`/`exp` (at most one hour apart) — and issues an access token.
 */
import { randomBytes, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendGoogleJson } from './google-error.js';
import type { ServiceAccount } from './service-account.js';

export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';

export class TokenIssuer {
  private readonly tokens = new Map<string, number>();
  /** How many tokens were issued (tests check that the gateway caches them). */
  issued = 0;

  constructor(
    private readonly account: ServiceAccount,
    private readonly ttlSeconds: number,
  ) {}

  /** True when `authorization` carries a token this emulator issued and that has not expired. */
  isValid(authorization: string | undefined): boolean {
    const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
    const expires = token ? this.tokens.get(token) : undefined;
    return expires !== undefined && expires > Date.now();
  }

  /** Makes every issued token expire now: the next call must fetch a new one. */
  expireAll(): void {
    for (const token of this.tokens.keys()) this.tokens.set(token, 0);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return sendGoogleJson(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
    }
    const problem = this.checkAssertion(form.get('assertion') ?? '');
    if (problem) return sendGoogleJson(res, 400, { error: 'invalid_grant', error_description: problem });
    const token = `ya29.emu-${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, Date.now() + this.ttlSeconds * 1000);
    this.issued++;
    sendGoogleJson(res, 200, { access_token: token, expires_in: this.ttlSeconds, token_type: 'Bearer' });
  }

  private checkAssertion(jwt: string): string | null {
    const [h, p, s] = jwt.split('.');
    if (!h || !p || !s) return 'Invalid JWT: not three segments.';
    let header: { alg?: string; kid?: string };
    let claims: { iss?: string; aud?: string; scope?: string; iat?: number; exp?: number };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return 'Invalid JWT: segments are not JSON.';
    }
    if (header.alg !== 'RS256') return 'Invalid JWT: alg must be RS256.';
    if (header.kid !== undefined && header.kid !== this.account.key.private_key_id) return 'Invalid JWT Signature.';
    const signed = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), this.account.publicKey, Buffer.from(s, 'base64url'));
    if (!signed) return 'Invalid JWT Signature.';
    if (claims.iss !== this.account.key.client_email) return 'Invalid JWT: iss is not a known service account.';
    if (claims.aud !== GOOGLE_TOKEN_AUDIENCE) return `Invalid JWT: aud must be ${GOOGLE_TOKEN_AUDIENCE}.`;
    if (!claims.scope) return 'Invalid JWT: no scope.';
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return 'Invalid JWT: iat and exp are required.';
    if (claims.exp <= now) return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.';
    if (claims.exp - claims.iat > 3600 || claims.iat > now + 300)
      return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.';
    return null;
  }
}
