/**
 * Turns a batch's requests into output-file and error-file lines.
 *
 * - A successful request goes to the output file with `response.status_code` 200.
 * - A request that "failed upstream" goes to the error file with an HTTP error
 *   in `response` and top-level `error: null` (how OpenAI reports per-request
 *   HTTP failures). A line fails when its custom_id starts with `fail-` or its
 *   `body.metadata.emulate_error` is set: `true`, an error code string, or
 *   `{status_code?, code?, message?, type?}`.
 * - A request never executed (batch cancelled or expired first) goes to the
 *   error file with `response: null` and `error: {code, message}`.
 *
 * Lines keep input order. (The real APIs do not promise any order; consumers
 * must match on custom_id, and keeping order here keeps test output stable.)
 */
import { typeForStatus } from './api-error.js';
import { batchRequestId, requestId } from './ids.js';
import type { InputLine } from './input-validation.js';
import { syntheticResponse, type LineUsage } from './synthetic-responses.js';

export interface NotExecuted {
  code: 'batch_cancelled' | 'batch_expired';
  message: string;
}

export interface LineResults {
  outputLines: string[];
  errorLines: string[];
  /** request_counts.completed / .failed (requests never executed count as neither). */
  completed: number;
  failed: number;
  usage: LineUsage;
}

interface EmulatedHttpError {
  status_code: number;
  type: string;
  code: string | null;
  message: string;
}

function emulatedError(line: InputLine): EmulatedHttpError | undefined {
  const metadata = line.body['metadata'];
  const spec = metadata !== null && typeof metadata === 'object' ? (metadata as Record<string, unknown>)['emulate_error'] : undefined;
  if (!spec && !line.custom_id.startsWith('fail-')) return undefined;

  const fields = spec !== null && typeof spec === 'object' ? (spec as Record<string, unknown>) : {};
  const status = typeof fields['status_code'] === 'number' && fields['status_code'] >= 400 ? fields['status_code'] : 400;
  const code = typeof spec === 'string' ? spec : typeof fields['code'] === 'string' ? fields['code'] : 'emulated_error';
  return {
    status_code: status,
    type: typeof fields['type'] === 'string' ? fields['type'] : typeForStatus(status),
    code,
    message: typeof fields['message'] === 'string' ? fields['message'] : `Emulated upstream error for custom_id '${line.custom_id}'.`,
  };
}

/**
 * Results once the first `done` lines have run and the rest never will
 * (`notExecuted` says why; it is unused when done === lines.length).
 */
export function lineResults(lines: InputLine[], endpoint: string, done: number, notExecuted?: NotExecuted): LineResults {
  const created = Math.floor(Date.now() / 1000);
  const out: LineResults = { outputLines: [], errorLines: [], completed: 0, failed: 0, usage: { input: 0, output: 0 } };

  lines.forEach((line, index) => {
    const id = batchRequestId();
    if (index >= done) {
      const error = notExecuted ?? { code: 'batch_cancelled', message: 'This request was not executed.' };
      out.errorLines.push(JSON.stringify({ id, custom_id: line.custom_id, response: null, error }));
      return;
    }
    const failure = emulatedError(line);
    if (failure) {
      out.failed += 1;
      out.errorLines.push(
        JSON.stringify({
          id,
          custom_id: line.custom_id,
          response: {
            status_code: failure.status_code,
            request_id: requestId(),
            body: { error: { message: failure.message, type: failure.type, param: null, code: failure.code } },
          },
          error: null,
        }),
      );
      return;
    }
    const { body, usage } = syntheticResponse(line, endpoint, created);
    out.completed += 1;
    out.usage.input += usage.input;
    out.usage.output += usage.output;
    out.outputLines.push(
      JSON.stringify({
        id,
        custom_id: line.custom_id,
        response: { status_code: 200, request_id: requestId(), body },
        error: null,
      }),
    );
  });
  return out;
}

/** JSONL file bytes: one JSON object per line, newline-terminated; empty when there are no lines. */
export function jsonl(lines: string[]): Buffer {
  return Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
}
