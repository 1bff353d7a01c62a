import type { FastifyReply } from 'fastify';

const serialized = new WeakMap<object, string>();

/**
 * The answer as JSON text, serialized once per object: a batch polled in a tight loop comes back as the very
 * same object while its state is unchanged (domain/batches/record-state.ts), and serializing it again on every
 * call was ~1.5 % of a retrieve's CPU. Objects that reach here are never mutated after they are made.
 */
export function jsonOnce(reply: FastifyReply, value: object): string {
  let text = serialized.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    serialized.set(value, text);
  }
  void reply.type('application/json; charset=utf-8');
  return text;
}
