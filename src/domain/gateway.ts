import type { EntityManager } from '@mikro-orm/sql';
import type { GatewayConfig } from '../config/types.js';
import type { BatchProvider } from '../providers/types.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { GatewayError } from './errors.js';
import type { EventListener } from './events.js';
import type { PrincipalCache } from './access/principal-cache.js';
import type { BatchRouteCache } from './batches/batch-route-cache.js';
import type { DeploymentHealth } from './routing/health.js';

/** Minimal structured logger (pino's shape) so the domain does not depend on a logging library. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Everything the domain needs, built once at start and shared by all requests. */
export interface Gateway {
  config: GatewayConfig;
  providers: ProviderRegistry;
  health: DeploymentHealth;
  log: Logger;
  /** A fresh EntityManager (one per request or job; never the global one). */
  em(): EntityManager;
  /** Told about every GatewayEvent (events.ts): metrics, the batch webhook. */
  listeners?: EventListener[];
  /** `--no-auth`: a call without a valid virtual key acts as the admin (local development only). */
  noAuth?: boolean;
  /** Virtual keys looked up recently (access/principal-cache.ts): the hot path skips the key queries. */
  principals: PrincipalCache;
  /** Batches this replica has read: their routing never changes, their last seen state decides what to write. */
  batchRoutes: BatchRouteCache;
  /** Fires when the process starts to stop: long-lived calls (watches) end so that the drain need not wait for them. */
  stopping?: AbortSignal;
}

/** The provider for a stored deployment ID; a deployment removed from the config is a 503, not a crash. */
export function providerFor(gw: Gateway, deploymentId: string): BatchProvider {
  try {
    return gw.providers.for(deploymentId);
  } catch {
    throw new GatewayError('unavailable', 'The deployment holding this object is no longer configured', null, 'deployment_unavailable');
  }
}
