import { z } from 'zod';
import type { UploadFields, UploadSource } from '../domain/files/upload.js';
import { expiresAfter } from './inputs.js';
import { MAX_MODEL_NAMES, text } from './input-strings.js';
import { parseInput } from './parse-input.js';

/** "a,b", ["a", "b"], or ["a,b"]: all give [a, b]. */
const nameList = z
  .union([text(4096), z.array(text(4096)).max(MAX_MODEL_NAMES)])
  .optional()
  .transform((v) => [...new Set((v === undefined ? [] : [v].flat()).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))])
  .pipe(z.array(text(255)).max(MAX_MODEL_NAMES));

/**
 * The fields of an upload, in OpenAI's names, as any transport delivers them (a gRPC metadata message, a
 * tRPC form or stream header, a REST form). One schema, so every transport accepts and rejects the same.
 */
export const uploadFieldsInput = z.object({
  filename: text(1024).trim().min(1).default('upload.jsonl'),
  purpose: z.string({ message: "Missing required parameter: 'purpose'" }).pipe(text(32)),
  target_model_names: nameList,
  expires_after: expiresAfter
    .extend({ seconds: z.coerce.number().int().min(3600).max(2_592_000) })
    .optional(),
});
export type UploadFieldsInput = z.input<typeof uploadFieldsInput>;

const parseFields = parseInput(uploadFieldsInput);

export function parseUploadFields(raw: unknown): UploadFields {
  const f = parseFields(raw);
  return { filename: f.filename, purpose: f.purpose, targetModelNames: f.target_model_names, expiresAfter: f.expires_after };
}

/** The same checks for an UploadSource built by a transport: its fields go through the one schema. */
export function checkedUploadSource(source: UploadSource): UploadSource {
  const parse = (f: UploadFields) => parseUploadFields({ filename: f.filename, purpose: f.purpose, target_model_names: f.targetModelNames, expires_after: f.expiresAfter });
  const early = source.fieldsNow?.bind(source);
  return {
    content: source.content,
    async fields() {
      return parse(await source.fields());
    },
    // A hint only: fields that do not pass now are reported by fields(), at the end, as without it.
    ...(early && {
      fieldsNow() {
        const f = early();
        try {
          return f && parse(f);
        } catch {
          return undefined;
        }
      },
    }),
  };
}
