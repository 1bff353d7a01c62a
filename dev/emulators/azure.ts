/**
 * Azure OpenAI Files + Batches emulator: `https://{resource}.openai.azure.com`
 * stand-in, serving both API styles:
 * - dated: `/openai/files…`, `/openai/batches…` with a required `?api-version=`
 *   and the `api-key` header;
 * - v1: `/openai/v1/files…`, `/openai/v1/batches…`, api-version optional, key
 *   as `api-key` or `Authorization: Bearer` (what the plain OpenAI client sends).
 * Also `POST /openai/deployments/{name}/batches`, where AzureOpenAI built with
 * a `deployment` sends batch creation.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, badRequest } from './api-error.js';
import { azureDialect } from './dialect.js';
import { filesAndBatchesRoutes, findRoute, type Provider, type RequestContext, type Route } from './routes.js';
import { startEmulator } from './server.js';
import type { EmulatorOptions, ProviderEmulator } from './types.js';

const V1_API_VERSIONS = ['v1', 'preview'];

function unauthorized(): ApiError {
  return new ApiError(
    401,
    'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    null,
    '401',
  );
}

function presentedKey(ctx: RequestContext, allowBearer: boolean): string | undefined {
  const header = ctx.req.headers['api-key'];
  if (typeof header === 'string') return header;
  if (!allowBearer) return undefined;
  return /^Bearer\s+(.+)$/i.exec(ctx.req.headers.authorization ?? '')?.[1]?.trim();
}

function checkApiVersion(version: string | null, accepted: string[] | undefined, optional: boolean): void {
  if (version === null || version === '') {
    if (optional) return;
    throw badRequest("Missing required query parameter 'api-version'.", 'api-version', 'missing_api_version');
  }
  if (accepted !== undefined && !accepted.includes(version)) {
    throw badRequest(
      `API version '${version}' is not supported. Supported versions: ${accepted.join(', ')}.`,
      'api-version',
      'unsupported_api_version',
    );
  }
}

export function startAzureEmulator(opts: EmulatorOptions = {}): Promise<ProviderEmulator> {
  const deployments = opts.deployments ?? azureDialect.defaultDeployments ?? [];
  let routes: { dated: Route[]; v1: Route[] } | undefined;

  const routesFor = (provider: Provider): { dated: Route[]; v1: Route[] } => {
    if (routes) return routes;
    const location = (ctx: RequestContext, fileId: string, base: string): Record<string, string> => {
      const version = ctx.url.searchParams.get('api-version');
      const query = version ? `?api-version=${encodeURIComponent(version)}` : '';
      return { location: `http://${ctx.req.headers.host ?? '127.0.0.1'}${base}/files/${fileId}${query}` };
    };
    const dated = filesAndBatchesRoutes(provider, '/openai', {
      uploadHeaders: (ctx, file) => location(ctx, file.id, '/openai'),
    });
    const createBatch = dated.find((r) => r.method === 'POST' && r.pattern.test('/openai/batches'))!;
    dated.push({
      method: 'POST',
      pattern: /^\/openai\/deployments\/([^/]+)\/batches\/?$/,
      handle: async (ctx, [deployment]) => {
        if (!deployments.includes(deployment!)) {
          throw new ApiError(
            404,
            'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
            null,
            'DeploymentNotFound',
          );
        }
        await createBatch.handle(ctx, []);
      },
    });
    const v1 = filesAndBatchesRoutes(provider, '/openai/v1', {
      uploadHeaders: (ctx, file) => location(ctx, file.id, '/openai/v1'),
    });
    routes = { dated, v1 };
    return routes;
  };

  return startEmulator({
    dialect: azureDialect,
    options: { ...opts, deployments },
    extraHeaders: () => ({ 'apim-request-id': randomUUID() }),
    route: async (ctx, provider, apiKey) => {
      const isV1 = ctx.url.pathname.startsWith('/openai/v1/');
      const version = ctx.url.searchParams.get('api-version');
      if (isV1) checkApiVersion(version, V1_API_VERSIONS, true);
      else checkApiVersion(version, opts.apiVersions, false);

      if (presentedKey(ctx, isV1) !== apiKey) throw unauthorized();

      const table = routesFor(provider);
      const { route, params } = findRoute(isV1 ? table.v1 : table.dated, ctx.record.method, ctx.url.pathname);
      await route.handle(ctx, params);
    },
  });
}
