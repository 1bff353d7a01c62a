import { z } from 'zod';
import type { UploadSource } from '../domain/files/upload.js';
import { expiresAfter } from './inputs.js';
import { MAX_MODEL_NAMES, text } from './input-strings.js';
import { parseInput } from './parse-input.js';

/** "a,b", ["a", "b"], or ["a,b"]: all give [a, b]. */
const nameList = z
  .union([text(4096), z.array(text(4096)).max(MAX_MODEL_NAMES)])
  .optional()
  .transform((v) => [
    ...new Set(
      (v === undefined ? [] : [v].flat())
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ])
  .pipe(z.array(text(255)).max(MAX_MODEL_NAMES));

/**
 * The fields of an upload, in OpenAI's names, as any transport delivers them (a REST or tRPC form, a tRPC
 * stream's header line, a gRPC metadata message). The one schema they all pass through, in the router, so every
 * transport accepts and rejects the same; its output is the domain's UploadFields.
 */
export const uploadFieldsInput = z
  .object({
    filename: text(1024).trim().min(1).default('upload.jsonl'),
    purpose: z.string({ message: "Missing required parameter: 'purpose'" }).pipe(text(32)),
    target_model_names: nameList,
    expires_after: expiresAfter.extend({ seconds: z.coerce.number().int().min(3600).max(2_592_000) }).optional(),
  })
  .transform((f) => ({ filename: f.filename, purpose: f.purpose, targetModelNames: f.target_model_names, expiresAfter: f.expires_after }));

/**
 * An upload as every transport hands it to the router: the file's bytes, and its fields as they came off the
 * wire, unchecked. `fields` is the record itself when the wire carries it before the file (a gRPC metadata
 * message, a tRPC stream's header line, a tRPC form), or a function giving it once the content has been read
 * (a REST form: the OpenAI SDK sends the file part first). A form that did put its fields first also gives
 * `fieldsSoFar`: those fields while the file streams (undefined until then, and always for the SDK's order).
 */
export const uploadInput = z.object({
  content: z.custom<AsyncIterable<Uint8Array>>((v) => !!v && typeof v === 'object' && Symbol.asyncIterator in v, 'expected a byte stream'),
  fields: z.unknown(),
  fieldsSoFar: z.custom<() => unknown>((v) => typeof v === 'function', 'expected a function').optional(),
});
export type UploadInput = z.input<typeof uploadInput>;

const parseFields = parseInput(uploadFieldsInput);

/**
 * The domain's view of an upload: the same bytes, and fields that have been through the schema, once. Fields
 * that are already there are checked at once, so a bad one is refused before any of the file is read, and are
 * the domain's `fieldsNow` too: it may start the copies while the file still arrives (stream-through.ts).
 */
export function uploadSource({ content, fields, fieldsSoFar }: z.output<typeof uploadInput>): UploadSource {
  if (typeof fields !== 'function') {
    const checked = parseFields(fields);
    return { content, fields: async () => checked, fieldsNow: () => checked };
  }
  return {
    content,
    fields: async () => parseFields(await fields()),
    // A hint only: fields that do not pass now are refused by fields(), at the end, as without it.
    ...(fieldsSoFar && { fieldsNow: () => hint(fieldsSoFar()) }),
  };
}

const hint = (raw: unknown) => (raw === undefined ? undefined : uploadFieldsInput.safeParse(raw).data);
