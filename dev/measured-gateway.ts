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
      // As `npm start` and the Docker image run it: glibc returns freed upload buffers to the OS at once.
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072' },
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
