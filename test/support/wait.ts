import type OpenAI from 'openai';

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** Polls through sluice (as a user would) until the batch is terminal, nudging the emulators along. */
export async function waitForBatch(client: OpenAI, id: string, emulators: { advance(): void }[] = [], timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (TERMINAL.has(batch.status)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status} after ${timeoutMs} ms`);
    for (const e of emulators) e.advance();
    await new Promise((r) => setTimeout(r, 25));
  }
}
