/**
 * Synchronous checks on `POST /batches` bodies: these fail the request with a
 * 400 envelope naming the offending `param`, as opposed to problems inside the
 * input file, which only surface later as a `failed` batch.
 */
import { badRequest } from './api-error.js';
import { OPENAI_BATCH_ENDPOINTS, type Dialect } from './dialect.js';
import type { FileStore } from './file-store.js';

export interface CreateBatchParams {
  input_file_id: string;
  endpoint: string;
  completion_window: '24h';
  metadata: Record<string, string> | null;
  /** Seconds after the output/error file's creation at which it expires. */
  outputExpiresAfterSeconds?: number;
}

const KNOWN_PARAMS = new Set(['input_file_id', 'endpoint', 'completion_window', 'metadata', 'output_expires_after']);

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (value === undefined) throw badRequest(`Missing required parameter: '${key}'.`, key, 'missing_required_parameter');
  if (typeof value !== 'string') {
    throw badRequest(`Invalid type for '${key}': expected a string, but got ${jsonType(value)} instead.`, key, 'invalid_type');
  }
  return value;
}

function parseMetadata(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`Invalid type for 'metadata': expected an object, but got ${jsonType(value)} instead.`, 'metadata', 'invalid_type');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 16) {
    throw badRequest(
      `Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with ${entries.length} properties instead.`,
      'metadata',
      'object_above_max_properties',
    );
  }
  const out: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (key.length > 64) {
      throw badRequest(
        `Invalid 'metadata': key '${key.slice(0, 20)}…' is too long. Expected a key with maximum length 64, but got a key with length ${key.length} instead.`,
        'metadata',
        'string_above_max_length',
      );
    }
    if (typeof item !== 'string') {
      throw badRequest(
        `Invalid type for 'metadata.${key}': expected a string, but got ${jsonType(item)} instead.`,
        `metadata.${key}`,
        'invalid_type',
      );
    }
    if (item.length > 512) {
      throw badRequest(
        `Invalid 'metadata.${key}': string too long. Expected a string with maximum length 512, but got a string with length ${item.length} instead.`,
        `metadata.${key}`,
        'string_above_max_length',
      );
    }
    out[key] = item;
  }
  return out;
}

function parseOutputExpiresAfter(value: unknown, dialect: Dialect): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(
      `Invalid type for 'output_expires_after': expected an object, but got ${jsonType(value)} instead.`,
      'output_expires_after',
      'invalid_type',
    );
  }
  const { anchor, seconds } = value as { anchor?: unknown; seconds?: unknown };
  if (anchor !== 'created_at') {
    throw badRequest(
      `Invalid value: '${String(anchor)}'. Supported values are: 'created_at'.`,
      'output_expires_after.anchor',
      'invalid_value',
    );
  }
  const [min, max] = dialect.expirySecondsRange;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw badRequest(
      `Invalid 'output_expires_after.seconds': expected an integer between ${min} and ${max}, but got ${JSON.stringify(seconds)}.`,
      'output_expires_after.seconds',
      'invalid_value',
    );
  }
  return seconds;
}

export function parseCreateBatch(body: unknown, dialect: Dialect, files: FileStore): CreateBatchParams {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`Invalid body: expected a JSON object, but got ${jsonType(body)} instead.`, null, 'invalid_type');
  }
  const fields = body as Record<string, unknown>;
  if (dialect.rejectsUnknownCreateParams) {
    const unknown = Object.keys(fields).find((key) => !KNOWN_PARAMS.has(key));
    if (unknown !== undefined) {
      throw badRequest(`Unrecognized request argument supplied: ${unknown}`, unknown, 'unknown_parameter');
    }
  }

  const input_file_id = requireString(fields, 'input_file_id');
  const endpoint = requireString(fields, 'endpoint');
  const completion_window = requireString(fields, 'completion_window');

  if (!dialect.acceptsEndpoint(endpoint)) {
    throw badRequest(
      `Invalid value: '${endpoint}'. Supported values are: ${OPENAI_BATCH_ENDPOINTS.map((e) => `'${e}'`).join(', ')}.`,
      'endpoint',
      'invalid_value',
    );
  }
  if (completion_window !== '24h') {
    throw badRequest(`Invalid value: '${completion_window}'. Supported values are: '24h'.`, 'completion_window', 'invalid_value');
  }
  const metadata = parseMetadata(fields['metadata']);
  const outputExpiresAfterSeconds = parseOutputExpiresAfter(fields['output_expires_after'], dialect);

  const file = files.files.get(input_file_id);
  if (!file) {
    throw badRequest(`Invalid 'input_file_id': '${input_file_id}'. File does not exist.`, 'input_file_id', 'invalid_value');
  }
  if (file.purpose !== 'batch') {
    throw badRequest(
      `Invalid 'input_file_id': '${input_file_id}'. The file has purpose '${file.purpose}', but batch input files must be uploaded with purpose 'batch'.`,
      'input_file_id',
      'invalid_value',
    );
  }

  return {
    input_file_id,
    endpoint,
    completion_window,
    metadata,
    ...(outputExpiresAfterSeconds === undefined ? {} : { outputExpiresAfterSeconds }),
  };
}
