/**
 * The full run's upload client, in a process of its own, as autocannon is for the retrieves: the bench's own
 * process holds what its earlier phases left, and a client sharing it spent more CPU per upload than the same
 * client in a fresh process (gRPC, 200 MB: 1.5–1.8 s against 1.0–1.2 s in bench/upload-ratio.ts), slowing the
 * upload it was measuring. Every system's uploads go through it alike.
 *
 * bench/run.ts starts it with startUploadClient (below), over an IPC channel: one UploadJob per message, one
 * UploadDone per answer, timed here, in the client.
 */
import { createSluiceGrpcClient, type SluiceGrpcClient } from '../clients/grpc/index.js';
import { startChild } from './child-process.js';
import { grpcUpload, multipartUpload } from './uploads.js';

export type UploadJob =
  | { via: 'multipart'; url: string; headers: Record<string, string>; fields: Record<string, string>; path: string }
  | { via: 'grpc'; address: string; key: string; path: string };

export interface UploadDone {
  seconds: number;
  /** The client's own CPU for this upload. */
  cpuSeconds: number;
}

type Answer = UploadDone | { error: string };

export interface UploadClient {
  upload(job: UploadJob): Promise<UploadDone>;
  stop(): Promise<void>;
}

/** Starts the client process; uploads run one at a time, in the order asked. */
export async function startUploadClient(): Promise<UploadClient> {
  const handle = await startChild('upload client', process.execPath, ['--import', 'tsx', import.meta.filename], /^ready$/, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const child = handle.child;
  return {
    upload: (job) =>
      new Promise((resolve, reject) => {
        // A client that dies mid-upload fails the run instead of leaving it waiting for an answer.
        const exited = () => reject(new Error('the upload client exited during an upload'));
        child.once('exit', exited);
        child.once('message', (answer: Answer) => {
          child.off('exit', exited);
          if ('error' in answer) reject(new Error(answer.error));
          else resolve(answer);
        });
        child.send(job);
      }),
    stop: () => handle.stop(),
  };
}

async function serve(): Promise<void> {
  const grpcClients = new Map<string, SluiceGrpcClient>();
  const grpcClient = (address: string, key: string) => {
    let client = grpcClients.get(address);
    if (!client) grpcClients.set(address, (client = createSluiceGrpcClient(address, key)));
    return client;
  };
  process.on('message', async (job: UploadJob) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    let answer: Answer;
    try {
      if (job.via === 'multipart') await multipartUpload(job.url, job.headers, job.fields, job.path);
      else await grpcUpload(grpcClient(job.address, job.key), job.path);
      const used = process.cpuUsage(cpu);
      answer = { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
    } catch (err) {
      answer = { error: String((err as Error).message ?? err) };
    }
    process.send!(answer);
  });
  process.on('disconnect', () => {
    for (const client of grpcClients.values()) client.close();
    process.exit(0);
  });
  process.on('SIGTERM', () => process.exit(0));
  console.log('ready');
}

if (process.send && import.meta.filename === process.argv[1]) await serve();
