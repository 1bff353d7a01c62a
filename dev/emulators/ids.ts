/** Random identifiers in the shapes each provider uses. */
import { randomBytes, randomUUID } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function hex(chars: number): string {
  return randomBytes(Math.ceil(chars / 2))
    .toString('hex')
    .slice(0, chars);
}

export function base62(chars: number): string {
  let out = '';
  for (const byte of randomBytes(chars)) out += BASE62[byte % 62];
  return out;
}

/** OpenAI: `file-XjGxS3KTG0uNmNOK362iJua3`, `batch_67e5c5e8c1808190b4eb4f0bc7d4eb07`. */
export const openaiIds = {
  file: (): string => `file-${base62(22)}`,
  batch: (): string => `batch_${hex(32)}`,
};

/** Azure: `file-<32 hex>`, `batch_<uuid>`. */
export const azureIds = {
  file: (): string => `file-${hex(32)}`,
  batch: (): string => `batch_${randomUUID()}`,
};

/** Per-line ids inside output/error files, and the x-request-id header. */
export const batchRequestId = (): string => `batch_req_${hex(32)}`;
export const requestId = (): string => `req_${hex(32)}`;
