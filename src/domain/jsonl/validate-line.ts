import { GatewayError } from '../errors.js';
import { BATCH_ENDPOINTS, isBatchEndpoint } from './endpoints.js';

export interface BatchLine {
  custom_id: string;
  method: 'POST';
  url: string;
  body: Record<string, unknown> & { model: string };
}

/** A 400 that names the line, so the user can fix their file: "line 7: custom_id 'a' is also used on line 3". */
export function lineError(line: number, reason: string, code = 'invalid_request'): GatewayError {
  return new GatewayError('invalid_request', `Invalid batch input file: line ${line}: ${reason}`, 'file', code);
}

/** Checks one line's shape (everything that can be known from the line alone). */
export function parseBatchLine(text: string, line: number): BatchLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw lineError(line, `not valid JSON (${(err as Error).message})`, 'invalid_json_line');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw lineError(line, 'must be a JSON object', 'invalid_json_line');
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.custom_id !== 'string' || obj.custom_id.length === 0) {
    throw lineError(line, '"custom_id" must be a non-empty string');
  }
  if (obj.method !== 'POST') throw lineError(line, `"method" must be "POST", got ${JSON.stringify(obj.method)}`);
  if (!isBatchEndpoint(obj.url)) {
    throw lineError(line, `"url" must be one of ${BATCH_ENDPOINTS.join(', ')}, got ${JSON.stringify(obj.url)}`, 'url_mismatch');
  }
  const body = obj.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw lineError(line, '"body" must be a JSON object');
  const model = (body as Record<string, unknown>).model;
  if (typeof model !== 'string' || model.length === 0) throw lineError(line, '"body.model" must be a non-empty string');
  return obj as unknown as BatchLine;
}
