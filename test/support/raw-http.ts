import { connect } from 'node:net';

export interface RawResponse {
  /** 0 when the server closed the connection without an HTTP answer. */
  status: number;
  body: string;
}

/**
 * Writes `request` (head and body, exactly as given: a lying Content-Length, broken chunking…) to the server and
 * reads the first response. `hangUpAfterWrite` closes our side once written, as a client that goes away does.
 */
export function rawExchange(url: string, request: string | Buffer, opts: { timeoutMs?: number } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms; got so far: ${data.slice(0, 200)}`));
    }, opts.timeoutMs ?? 10_000);
    const finish = () => {
      clearTimeout(timer);
      resolve(parseResponse(data));
    };
    socket.on('data', (d) => {
      data += d.toString('utf8');
      const parsed = parseResponse(data);
      if (parsed.status && parsed.complete) {
        socket.destroy();
        finish();
      }
    });
    socket.on('error', () => undefined); // a reset after the server answered and closed
    socket.on('close', finish);
    socket.write(request);
  });
}

function parseResponse(data: string): RawResponse & { complete: boolean } {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
  if (!m) return { status: 0, body: '', complete: false };
  const split = data.indexOf('\r\n\r\n');
  if (split === -1) return { status: Number(m[1]), body: '', complete: false };
  const head = data.slice(0, split);
  const body = data.slice(split + 4);
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  return { status: Number(m[1]), body, complete: length ? Buffer.byteLength(body) >= Number(length[1]) : false };
}

/** A multipart/form-data request head (boundary `XX`) for `path`, with the given Content-Length or chunked. */
export function multipartHead(path: string, key: string, length: number | 'chunked'): string {
  const framing = length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`;
  return `POST ${path} HTTP/1.1\r\nHost: sluice\r\nAuthorization: Bearer ${key}\r\nContent-Type: multipart/form-data; boundary=XX\r\n${framing}\r\n\r\n`;
}

/** The form of issue 8's reproduction: `purpose`, then a file part that the body ends inside. */
export const TRUNCATED_FORM =
  '--XX\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--XX\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{"custom_id":"a"';
