import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp folders that hold a user's upload while it is validated and copied. Each is named after the process
 * that made it (`sluice-<kind>-<pid>-XXXXXX`), so that a process starting after a crash can tell its
 * predecessor's leftovers (which hold user data) from the live spools of another sluice sharing the temp dir.
 */
export function makeSpoolDir(kind: 'spool' | 'raw'): Promise<string> {
  return mkdtemp(join(tmpdir(), `sluice-${kind}-${process.pid}-`));
}

const OURS = /^sluice-(?:spool|raw)-(?:(\d+)-)?[A-Za-z0-9]{6}$/; // without a pid: made before pids were recorded

/** At start, before any upload: removes the spool folders of processes that no longer run. */
export async function removeStaleSpoolDirs(): Promise<string[]> {
  const root = tmpdir();
  const stale = (await readdir(root).catch(() => [] as string[])).filter((name) => {
    const m = OURS.exec(name);
    return m !== null && (m[1] === undefined || !isRunning(Number(m[1])));
  });
  await Promise.all(stale.map((name) => rm(join(root, name), { recursive: true, force: true })));
  return stale;
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return false; // we have made none yet: a predecessor that had our pid (pid 1 in a container)
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}
