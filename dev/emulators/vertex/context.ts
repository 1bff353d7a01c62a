import type { IncomingMessage, ServerResponse } from 'node:http';

export interface VertexRequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** `http://127.0.0.1:PORT`, for Location headers. */
  baseUrl: string;
  /** Throws a 401 unless the request carries a live access token from the emulator's token endpoint. */
  authorize(): void;
}
