import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { processMemory, resetPeakMemory } from './process-memory.js';

export interface GatewayChild {
  url: string;
  grpcAddress: string;
  pid: number;
  /** Resident memory now and its peak so far (VmRSS, VmHWM from /proc), in bytes. */
  memory(): { rss: number; peak: number };
  /** Forgets the peak so far (writes 5 to /proc/PID/clear_refs), so `peak` measures from now on. */
  resetPeak(): boolean;
  stop(): Promise<void>;
}

/** Starts dev/measured-gateway-main.ts under this Node (22, with tsx) and waits until it listens. */
export async function startGatewayChild(config: unknown, databaseUrl: string): Promise<GatewayChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--experimental-async-context-frame',
      '--import',
      'tsx',
      '--disable-warning=ExperimentalWarning',
      'dev/measured-gateway-main.ts',
      JSON.stringify({ config, databaseUrl }),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      // As `npm start` and the Docker image run it: glibc returns freed upload buffers (1 MiB, mapped) to the OS at
      // once. Fixing the mmap threshold also fixes glibc's trim threshold at 128 KiB, which handed the heap's top
      // back after nearly every upload piece and page-faulted it in again for the next: the trim threshold is
      // raised apart (A/B, 8 pairs of 200 MB uploads: CPU 0.78 and 0.85 ×, time 0.87 and 0.94 ×).
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '67108864' },
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => l as string),
    once(child, 'exit').then(([code]) => {
      throw new Error(`gateway process exited with ${code}`);
    }),
  ]);
  const { url, grpcAddress } = JSON.parse(first) as { url: string; grpcAddress: string };
  const pid = child.pid!;
  return {
    url,
    grpcAddress,
    pid,
    memory: () => processMemory(pid),
    resetPeak: () => resetPeakMemory(pid),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
