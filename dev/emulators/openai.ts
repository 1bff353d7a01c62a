/**
 * OpenAI Files + Batches emulator: `https://api.openai.com/v1` stand-in.
 * Auth is `Authorization: Bearer <apiKey>`; routes live under `/v1`.
 */
import { ApiError } from './api-error.js';
import { openaiDialect } from './dialect.js';
import { filesAndBatchesRoutes, findRoute, type Provider, type Route } from './routes.js';
import { startEmulator } from './server.js';
import type { EmulatorOptions, ProviderEmulator } from './types.js';

/** OpenAI's messages for a missing / wrong key (both 401 invalid_request_error). */
function checkBearer(authorization: string | undefined, apiKey: string): void {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  if (!match) {
    throw new ApiError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    );
  }
  const presented = match[1]!.trim();
  if (presented !== apiKey) {
    const shown = presented.length > 8 ? `${presented.slice(0, 3)}*****${presented.slice(-4)}` : '*****';
    throw new ApiError(
      401,
      `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      null,
      'invalid_api_key',
    );
  }
}

export function startOpenAIEmulator(opts: EmulatorOptions = {}): Promise<ProviderEmulator> {
  let routes: Route[] | undefined;
  const routesFor = (provider: Provider): Route[] => (routes ??= filesAndBatchesRoutes(provider, '/v1'));

  return startEmulator({
    dialect: openaiDialect,
    options: opts,
    route: async (ctx, provider, apiKey) => {
      checkBearer(ctx.req.headers.authorization, apiKey);
      const { route, params } = findRoute(routesFor(provider), ctx.record.method, ctx.url.pathname);
      await route.handle(ctx, params);
    },
  });
}
