import { readFileSync, writeFileSync } from 'node:fs';

/** Resident memory of a process now and its peak so far (VmRSS, VmHWM from /proc/PID/status), in bytes. Linux only. */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/**
 * Forgets a process's peak so far (writes 5 to /proc/PID/clear_refs: VmHWM becomes the current RSS), so that
 * its next `peak` is the highest RSS from now on. False where the kernel does not allow it (then `peak` is the
 * peak since the process started).
 */
export function resetPeakMemory(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
