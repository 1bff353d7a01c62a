import { isAscii } from 'node:buffer';
import { GatewayError } from '../errors.js';
import { echo } from '../echo.js';
import { BATCH_ENDPOINTS, isBatchEndpoint } from './endpoints.js';
import { BODY_MODEL_PATH, MAX_LINE_DEPTH, scanJsonLine } from './model-token.js';

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

/**
 * Checks one line's shape (everything that can be known from the line alone) and finds its `body.model` token
 * in the raw bytes. A key repeated at the top level or in `body` is refused, whatever its spelling ("body" and
 * "bo\u0064y" are one key): JSON.parse keeps the last, another parser may keep the first, and the gateway must
 * validate and rewrite the very values the provider will read. Deeper objects are passed on as they are.
 */
export function parseBatchLine(bytes: Buffer, line: number): { line: BatchLine; token: { start: number; end: number } } {
  const scan = scanJsonLine(bytes, BODY_MODEL_PATH);
  if (scan.tooDeep) throw lineError(line, `nests deeper than ${MAX_LINE_DEPTH} levels`, 'line_too_deep');
  // Most lines are ASCII, which reads the same as latin1: a plain copy instead of a UTF-8 decode.
  const ascii = isAscii(bytes);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString(ascii ? 'latin1' : 'utf8'));
  } catch (err) {
    throw lineError(line, `not valid JSON (${(err as Error).message})`, 'invalid_json_line');
  }
  if (scan.duplicateKey) {
    const { key, where } = scan.duplicateKey;
    throw lineError(
      line,
      `the key ${JSON.stringify(echo(key))} appears more than once ${where ? `in "${where}"` : 'at the top level'}`,
      'duplicate_key',
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw lineError(line, 'must be a JSON object', 'invalid_json_line');
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.custom_id !== 'string' || obj.custom_id.length === 0) {
    throw lineError(line, '"custom_id" must be a non-empty string');
  }
  if (obj.method !== 'POST') throw lineError(line, `"method" must be "POST", got ${echo(JSON.stringify(obj.method) ?? 'nothing')}`);
  if (!isBatchEndpoint(obj.url)) {
    throw lineError(
      line,
      `"url" must be one of ${BATCH_ENDPOINTS.join(', ')}, got ${echo(JSON.stringify(obj.url) ?? 'nothing')}`,
      'url_mismatch',
    );
  }
  const body = obj.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw lineError(line, '"body" must be a JSON object');
  const model = (body as Record<string, unknown>).model;
  if (typeof model !== 'string' || model.length === 0) throw lineError(line, '"body.model" must be a non-empty string');
  // With no repeated keys the scan and JSON.parse agree; checked anyway, since the rewrite depends on it.
  const token = scan.token;
  if (!token || tokenValue(bytes, token, ascii) !== model) {
    throw lineError(line, '"body.model" could not be located in the line');
  }
  return { line: obj as unknown as BatchLine, token };
}

/** The string a token (quotes included) stands for; without escapes, its bytes are the string. */
function tokenValue(bytes: Buffer, token: { start: number; end: number }, ascii: boolean): string {
  const raw = bytes.toString(ascii ? 'latin1' : 'utf8', token.start + 1, token.end - 1);
  return raw.includes('\\') ? (JSON.parse(bytes.toString('utf8', token.start, token.end)) as string) : raw;
}
