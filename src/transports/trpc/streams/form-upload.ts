import { GatewayError } from '../../../domain/errors.js';
import type { UploadSource } from '../../../domain/files/upload.js';
import { parseUploadFields } from '../../../api/upload-fields.js';
import { iterateWebStream } from './web-stream.js';

/**
 * An upload sent as FormData (tRPC's multipart input), with the REST form's field names: `file`, `purpose`,
 * `target_model_names` (repeated or comma-separated), `expires_after[anchor]`, `expires_after[seconds]`.
 */
export function formUploadSource(form: FormData): UploadSource {
  const file = form.get('file');
  if (!(file instanceof Blob)) {
    throw new GatewayError('invalid_request', "Missing 'file' in the form", 'file', 'missing_file');
  }
  const text = (name: string) => {
    const v = form.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const anchor = text('expires_after[anchor]') ?? text('expires_after.anchor');
  const seconds = text('expires_after[seconds]') ?? text('expires_after.seconds');
  const fields = parseUploadFields({
    filename: text('filename') ?? ((file as File).name || undefined),
    purpose: text('purpose'),
    target_model_names: [...form.getAll('target_model_names'), ...form.getAll('target_model_names[]')].filter((v) => typeof v === 'string'),
    expires_after: anchor === undefined && seconds === undefined ? undefined : { anchor, seconds },
  });
  return { content: iterateWebStream(file.stream()), fields: async () => fields, fieldsNow: () => fields };
}
