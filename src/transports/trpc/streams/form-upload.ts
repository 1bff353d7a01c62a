import type { UploadInput } from '../../../api/upload-fields.js';
import { missingFile } from '../../../domain/errors.js';
import { iterateWebStream } from './web-stream.js';

/**
 * An upload sent as FormData (tRPC's multipart input) as the router's upload input, with the REST form's field
 * names: `file`, `filename`, `purpose`, `target_model_names` (repeated or comma-separated, also with `[]`),
 * `expires_after[anchor]`, `expires_after[seconds]`. tRPC has read the whole form: the fields go to the router
 * at once, unchecked.
 */
export function formUpload(form: FormData): UploadInput {
  const file = form.get('file');
  if (!(file instanceof Blob)) throw missingFile();
  const text = (name: string) => {
    const v = form.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const anchor = text('expires_after[anchor]') ?? text('expires_after.anchor');
  const seconds = text('expires_after[seconds]') ?? text('expires_after.seconds');
  return {
    content: iterateWebStream(file.stream()),
    fields: {
      filename: text('filename') ?? ((file as File).name || undefined),
      purpose: text('purpose'),
      target_model_names: [...form.getAll('target_model_names'), ...form.getAll('target_model_names[]')].filter(
        (v) => typeof v === 'string',
      ),
      expires_after: anchor === undefined && seconds === undefined ? undefined : { anchor, seconds },
    },
  };
}
