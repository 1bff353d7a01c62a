import type { ProviderName } from '../../config/types.js';
import type { BatchProvider } from '../../providers/types.js';
import type { Principal } from '../access/principal.js';
import { GatewayError } from '../errors.js';
import { providerFor, type Gateway } from '../gateway.js';

export type Route = ProviderName;

/** The pass-through routes are for the master key and for keys generated with `allow_provider_routes`. */
export function routeProvider(gw: Gateway, principal: Principal, route: Route): BatchProvider {
  if (principal.kind === 'key' && !principal.allowProviderRoutes) {
    throw new GatewayError('permission', `This key may not use the /${route}/v1 provider route`, null, 'provider_route_not_allowed');
  }
  if (!gw.config.providerRoutes.has(route)) {
    throw new GatewayError(
      'not_found',
      `The /${route}/v1 provider route is not configured (files_settings or ${route === 'azure' ? 'AZURE_API_BASE/AZURE_API_KEY' : 'OPENAI_API_KEY'})`,
      null,
      'route_not_configured',
    );
  }
  return providerFor(gw, `route:${route}`);
}
