import type { z } from 'zod';
import { echo } from '../domain/echo.js';
import { GatewayError, notFound } from '../domain/errors.js';

/** The value at an issue's path, to quote an impossible ID in the same 404 an unknown one gets. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), value);
}

/**
 * A tRPC input parser that fails like OpenAI does: a 400 naming the offending parameter, instead of a
 * dump of zod issues. An ID that cannot exist (input-strings.ts `objectId`) is the 404 of an unknown one.
 */
export function parseInput<S extends z.ZodType>(schema: S) {
  return (value: unknown): z.output<S> => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const what = issue.code === 'custom' ? (issue.params as { notFound?: 'file' | 'batch' } | undefined)?.notFound : undefined;
    if (what) throw notFound(what, String(valueAt(value, issue.path)));
    // Paths can hold a caller's own keys (metadata): bounded like every other echoed value.
    const param = echo(issue.path.map(String).join('.')) || null;
    const message = param ? `Invalid '${param}': ${issue.message}` : issue.message;
    throw new GatewayError('invalid_request', message, param, 'invalid_value');
  };
}
