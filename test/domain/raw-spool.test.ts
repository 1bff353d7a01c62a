import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/domain/errors.js';
import { spoolRaw } from '../../src/domain/provider-routes/raw-spool.js';

/** A body that fails at once: the spool's file may still be opening when the upload is refused. */
async function* failing(err: Error, first?: Uint8Array): AsyncGenerator<Uint8Array> {
  if (first) yield first;
  throw err;
}

describe('spoolRaw (pass-through uploads)', () => {
  // The REST fuzzer once ended the test process with "ENOENT: open '/tmp/sluice-raw-…/upload'": the folder was
  // removed while the refused upload's file was still being opened, and that stream's error had no listener.
  it('a body refused before its file has opened fails the upload, not the process', async () => {
    const refused = new GatewayError('invalid_request', 'refused');
    // Many at once, so that the thread pool's file operations (open, rm) interleave as under load.
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) => spoolRaw(failing(refused, i % 2 ? new Uint8Array(10) : undefined), 1024)),
      );
      expect(results.every((r) => r.status === 'rejected' && r.reason === refused)).toBe(true);
    }
  });

  it('a body over the limit fails with a 413 and leaves no folder', async () => {
    const chunks = async function* () {
      yield new Uint8Array(600);
      yield new Uint8Array(600);
    };
    const err = await spoolRaw(chunks(), 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).kind).toBe('payload_too_large');
  });

  // An upstream call may ask for the body again (a retry) after the upload has failed and the spool is gone,
  // and then never read it. Opening the file then failed in a stream nobody listened to: an uncaught ENOENT.
  it('a body asked for after dispose and never read does not fail the process', async () => {
    const spool = await spoolRaw(
      (async function* () {
        yield Buffer.from('abc');
      })(),
      1000,
    );
    await spool.dispose();
    spool.read(); // not read
    await new Promise((r) => setTimeout(r, 200)); // an open that fails would have failed by now
    await expect(
      (async () => {
        for await (const _ of spool.read()) {
          /* drain */
        }
      })(),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps what it was given, and dispose removes it', async () => {
    const spool = await spoolRaw(
      (async function* () {
        yield Buffer.from('abc');
        yield Buffer.from('def');
      })(),
      1000,
    );
    const parts: Buffer[] = [];
    for await (const c of spool.read()) parts.push(Buffer.from(c));
    expect(Buffer.concat(parts).toString()).toBe('abcdef');
    expect(spool.bytes).toBe(6);
    await spool.dispose();
  });
});
