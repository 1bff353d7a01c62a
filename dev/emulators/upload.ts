/** Checks a parsed upload form the way the Files API does, then stores the file. */
import { badRequest } from './api-error.js';
import type { Dialect } from './dialect.js';
import type { FileStore } from './file-store.js';
import type { MultipartForm } from './multipart.js';
import type { EmulatedFile, FilePurpose } from './types.js';

/** Purposes a client may upload with (the *_output / *-results ones are assigned by the provider). */
const UPLOAD_PURPOSES: readonly FilePurpose[] = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];

const MAX_BATCH_INPUT_BYTES = 200 * 1024 * 1024;

const quoteList = (values: readonly (string | number)[]): string => values.map((v) => `'${v}'`).join(', ');

/**
 * The SDKs send `expires_after[anchor]`; Azure's REST example uses
 * `expires_after.anchor`. Accept both spellings.
 */
function formField(fields: Record<string, string>, object: string, key: string): string | undefined {
  return fields[`${object}[${key}]`] ?? fields[`${object}.${key}`];
}

function parseExpiresAfter(fields: Record<string, string>, dialect: Dialect): number | undefined {
  const anchor = formField(fields, 'expires_after', 'anchor');
  const seconds = formField(fields, 'expires_after', 'seconds');
  if (anchor === undefined && seconds === undefined) return undefined;
  if (anchor !== 'created_at') {
    throw badRequest(
      `Invalid value: '${anchor ?? ''}'. Supported values are: 'created_at'.`,
      'expires_after.anchor',
      anchor === undefined ? 'missing_required_parameter' : 'invalid_value',
    );
  }
  const [min, max] = dialect.expirySecondsRange;
  const value = Number(seconds);
  if (seconds === undefined || !Number.isInteger(value) || value < min || value > max) {
    throw badRequest(
      `Invalid 'expires_after.seconds': expected an integer between ${min} and ${max}, but got '${seconds ?? ''}'.`,
      'expires_after.seconds',
      'invalid_value',
    );
  }
  return value;
}

export function acceptUpload(
  form: MultipartForm,
  dialect: Dialect,
  store: FileStore,
  maxBatchInputBytes = MAX_BATCH_INPUT_BYTES,
): EmulatedFile {
  const purpose = form.fields['purpose'];
  if (!form.file) throw badRequest("Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
  if (purpose === undefined) {
    throw badRequest("Missing required parameter: 'purpose'.", 'purpose', 'missing_required_parameter');
  }
  if (!(UPLOAD_PURPOSES as readonly string[]).includes(purpose)) {
    throw badRequest(`Invalid value: '${purpose}'. Supported values are: ${quoteList(UPLOAD_PURPOSES)}.`, 'purpose', 'invalid_value');
  }
  const expiresAfter = parseExpiresAfter(form.fields, dialect);

  const { filename, content } = form.file;
  if (purpose === 'batch') {
    if (!filename.toLowerCase().endsWith('.jsonl')) {
      throw badRequest(`Invalid file format for Batch API. Must be .jsonl (got filename '${filename}').`, 'file', 'invalid_file_format');
    }
    if (content.length > maxBatchInputBytes) {
      throw badRequest(`Batch input files may be at most ${maxBatchInputBytes / 1024 / 1024} MB.`, 'file', 'file_too_large');
    }
  }

  const defaultExpiry = purpose === 'batch' ? dialect.defaultBatchInputExpirySeconds : undefined;
  const expiresAfterSeconds = expiresAfter ?? defaultExpiry;
  return store.add({
    filename,
    purpose: purpose as FilePurpose,
    content,
    ...(expiresAfterSeconds === undefined ? {} : { expiresAfterSeconds }),
  });
}
