import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './tracking.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A gateway spawned by a test must not outlive the test process (timed-out tests used to leave orphans). */
describe('spawnSluice', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-orphan-'));
  let childPid: number | undefined;
  afterAll(() => {
    if (childPid && alive(childPid)) process.kill(childPid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops the gateway when the process that spawned it is SIGKILLed', async () => {
    const parent = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'test/support/fixtures/spawn-and-wait.ts', join(dir, 'db.sqlite')],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    parent.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    childPid = await until('the gateway to start', () => Number(/child (\d+)/.exec(out)?.[1]) || null, 45_000, 50);
    expect(alive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    await until('the orphaned gateway to stop', () => !alive(childPid!), 20_000, 50);
  });
});
