import type { ProviderEmulator } from '../../dev/emulators/index.js';

/** Waits until `check` returns a truthy value (polled every `everyMs`), and returns it. */
export async function until<T>(what: string, check: () => Promise<T> | T, timeoutMs = 15_000, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ExpectedUsage {
  requests: number;
  input: number;
  output: number;
}

/**
 * What the emulators bill for chat lines, worked out from the input alone (test/emulators/synthetic-responses.ts):
 * input = ceil(JSON.stringify(messages).length / 4), output = min(10, max_tokens). Lines whose custom_id starts
 * with `fail-` fail upstream and are not billed. `lines` limits it to the first N (partial output).
 */
export function expectedChatUsage(jsonl: string, lines?: number): ExpectedUsage {
  const all = jsonl
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { custom_id: string; body: { messages: unknown; max_tokens?: number } });
  const ran = all.slice(0, lines ?? all.length).filter((l) => !l.custom_id.startsWith('fail-'));
  return {
    requests: ran.length,
    input: ran.reduce((n, l) => n + Math.ceil(JSON.stringify(l.body.messages).length / 4), 0),
    output: ran.reduce((n, l) => n + Math.min(10, l.body.max_tokens ?? 10), 0),
  };
}

/** Cost at the test stack's configured gpt-4o-batch prices ($1.25 / $5 per 1M tokens). */
export const GPT4O_BATCH_PRICES = { input: 0.00000125, output: 0.000005 };
export const costAt = (u: ExpectedUsage, p = GPT4O_BATCH_PRICES) => u.input * p.input + u.output * p.output;

/** Upstream GETs of one raw batch in an emulator's request log (Azure dated paths and OpenAI paths). */
export function batchGets(emulator: ProviderEmulator, rawBatchId: string) {
  return emulator.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/batches/${rawBatchId}`));
}
