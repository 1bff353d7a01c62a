import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomToken(length: number): string {
  // 256 % 62 != 0, so reject bytes >= 248 to keep the distribution uniform.
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/**
 * Unified IDs are opaque random tokens that look like OpenAI's. They encode nothing (unlike LiteLLM's base64 of
 * internals), so the only way to resolve one is the database lookup that also checks ownership.
 */
export const newFileId = () => `file-${randomToken(24)}`;
export const newBatchId = () => `batch_${randomToken(32)}`;
export const newTeamId = () => `team_${randomToken(20)}`;
export const newKeyId = () => `key_${randomToken(20)}`;
export const newKeySecret = () => `sk-${randomToken(40)}`;

/** Cheap pre-check so garbage never reaches the database (and can't be a valid unified ID anyway). */
export const isUnifiedFileId = (id: string) => /^file-[A-Za-z0-9]{24}$/.test(id);
export const isUnifiedBatchId = (id: string) => /^batch_[A-Za-z0-9]{32}$/.test(id);
