import type { z } from 'zod';
import { GatewayError } from '../domain/errors.js';

/**
 * A tRPC input parser that fails like OpenAI does: a 400 naming the offending parameter, instead of a
 * dump of zod issues.
 */
export function parseInput<S extends z.ZodType>(schema: S) {
  return (value: unknown): z.output<S> => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const param = issue.path.map(String).join('.') || null;
    const message = param ? `Invalid '${param}': ${issue.message}` : issue.message;
    throw new GatewayError('invalid_request', message, param, 'invalid_value');
  };
}
