import type { ManagedFile } from '../../db/entities/index.js';

/** The OpenAI File object for a managed file. `status` is deprecated upstream but still required by the spec. */
export function toFileObject(f: ManagedFile) {
  return {
    id: f.id,
    object: 'file' as const,
    bytes: f.bytes,
    created_at: f.createdAt,
    expires_at: f.expiresAt ?? null,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed' as const,
    status_details: null,
  };
}
export type FileObject = ReturnType<typeof toFileObject>;
