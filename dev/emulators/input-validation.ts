/**
 * The `validating` phase: reads a batch input file (.jsonl, one request per
 * line) and either returns the requests or the BatchErrors that make the batch
 * `failed`. Codes follow Azure's documented list, which OpenAI also uses.
 */
import type { Dialect } from './dialect.js';
import type { BatchError } from './types.js';

export interface InputLine {
  /** 1-based line number in the file. */
  line: number;
  custom_id: string;
  method: string;
  url: string;
  body: Record<string, unknown>;
}

export type InputCheck = { ok: true; lines: InputLine[]; model: string | null } | { ok: false; errors: BatchError[] };

export interface InputRules {
  dialect: Dialect;
  endpoint: string;
  maxLines: number;
  /** Models/deployments that exist; undefined accepts any. */
  deployments: string[] | undefined;
}

/** A failed batch lists at most this many line errors. */
const MAX_REPORTED_ERRORS = 1000;

const UTF8_BOM = '\uFEFF';

/** Non-blank lines with their 1-based numbers (CRLF tolerated). */
export function splitLines(content: Buffer): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  content
    .toString('utf8')
    .split('\n')
    .forEach((raw, index) => {
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text.trim() !== '') out.push({ line: index + 1, text });
    });
  return out;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function lineError(code: string, message: string, line: number | null, param: string | null = null): BatchError {
  return { code, message, param, line };
}

export function checkInput(content: Buffer, rules: InputRules): InputCheck {
  const { dialect, endpoint, maxLines, deployments } = rules;

  if (dialect.bomMeansModelNotFound && content.toString('utf8').startsWith(UTF8_BOM)) {
    // What Azure really answers for a UTF-8 BOM: a complaint about the deployment.
    return {
      ok: false,
      errors: [
        lineError(
          'model_not_found',
          "The provided model deployment '' does not exist in the AOAI resource. Please create a Global Batch deployment with the same name and try again.",
          1,
          'body.model',
        ),
      ],
    };
  }

  const raw = splitLines(content);
  if (raw.length === 0) {
    return {
      ok: false,
      errors: [lineError('empty_file', 'The input file is empty. Please ensure that the batch contains at least one request.', null)],
    };
  }
  if (raw.length > maxLines) {
    return {
      ok: false,
      errors: [
        lineError(
          'too_many_tasks',
          `The number of requests in the input file (${raw.length}) exceeds the maximum of ${maxLines} requests per batch.`,
          null,
        ),
      ],
    };
  }

  const errors: BatchError[] = [];
  const lines: InputLine[] = [];
  const seenIds = new Set<string>();
  let model: string | null = null;

  for (const { line, text } of raw) {
    if (errors.length >= MAX_REPORTED_ERRORS) break;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      errors.push(lineError('invalid_json_line', 'This line is not parseable as valid JSON.', line));
      continue;
    }
    if (!isRecord(parsed)) {
      errors.push(lineError('invalid_json_line', 'This line is not a JSON object.', line));
      continue;
    }
    const { custom_id, method, url, body } = parsed;
    if (typeof custom_id !== 'string' || custom_id === '') {
      errors.push(lineError('invalid_request', "Each request must have a non-empty string 'custom_id'.", line, 'custom_id'));
      continue;
    }
    if (method !== 'POST') {
      errors.push(
        lineError('invalid_request', `Unsupported 'method' ${JSON.stringify(method)}: only 'POST' is supported.`, line, 'method'),
      );
      continue;
    }
    if (typeof url !== 'string') {
      errors.push(lineError('invalid_request', "Each request must have a string 'url'.", line, 'url'));
      continue;
    }
    if (!isRecord(body)) {
      errors.push(lineError('invalid_request', "Each request must have an object 'body'.", line, 'body'));
      continue;
    }
    if (seenIds.has(custom_id)) {
      errors.push(
        lineError(
          'duplicate_custom_id',
          `The custom_id '${custom_id}' is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.`,
          line,
          'custom_id',
        ),
      );
      continue;
    }
    seenIds.add(custom_id);
    if (!dialect.urlMatches(url, endpoint)) {
      errors.push(
        lineError('url_mismatch', `The provided URL '${url}' does not match the endpoint '${endpoint}' of this batch.`, line, 'url'),
      );
      continue;
    }
    const lineModel = body['model'];
    if (typeof lineModel !== 'string' || (deployments !== undefined && !deployments.includes(lineModel))) {
      errors.push(
        lineError(
          'model_not_found',
          dialect.name === 'azure'
            ? `The provided model deployment '${String(lineModel ?? '')}' does not exist in the AOAI resource. Please create a Global Batch deployment with the same name and try again.`
            : `The model '${String(lineModel ?? '')}' does not exist or you do not have access to it.`,
          line,
          'body.model',
        ),
      );
      continue;
    }
    if (model === null) {
      model = lineModel;
    } else if (lineModel !== model) {
      errors.push(
        lineError(
          'model_mismatch',
          `The model '${lineModel}' differs from the model '${model}' of the first request. All requests in a batch must use the same model.`,
          line,
          'body.model',
        ),
      );
      continue;
    }
    lines.push({ line, custom_id, method, url, body });
  }

  return errors.length > 0 ? { ok: false, errors } : { ok: true, lines, model };
}

/**
 * Best-effort reading of a file that was never validated (a batch cancelled
 * or expired while `validating`): every line that parses to an object counts
 * as a request, so it can be reported as not executed.
 */
export function readLinesLeniently(content: Buffer): InputLine[] {
  const out: InputLine[] = [];
  for (const { line, text } of splitLines(content)) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isRecord(parsed)) continue;
      out.push({
        line,
        custom_id: typeof parsed['custom_id'] === 'string' ? parsed['custom_id'] : `line-${line}`,
        method: typeof parsed['method'] === 'string' ? parsed['method'] : 'POST',
        url: typeof parsed['url'] === 'string' ? parsed['url'] : '',
        body: isRecord(parsed['body']) ? parsed['body'] : {},
      });
    } catch {
      // not a request; nothing to report for it
    }
  }
  return out;
}
