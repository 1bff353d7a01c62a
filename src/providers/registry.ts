import type { Deployment } from '../config/types.js';
import { createAzureProvider } from './azure/index.js';
import { createOpenAIProvider } from './openai/index.js';
import { createVertexProvider } from './vertex/index.js';
import type { UpstreamObserver } from './http/client.js';
import type { BatchProvider } from './types.js';

const factories: Record<Deployment['provider'], (d: Deployment, secrets: string[], observer?: UpstreamObserver) => BatchProvider> = {
  openai: createOpenAIProvider,
  azure: createAzureProvider,
  vertex_ai: createVertexProvider,
};

/** One provider client per deployment, made once at start. */
export class ProviderRegistry {
  private readonly byDeployment = new Map<string, BatchProvider>();

  /** `observer` hears about every upstream HTTP call (metrics, tracing), so providers import neither. */
  constructor(deployments: Deployment[], extraSecrets: string[] = [], observer?: UpstreamObserver) {
    // Every client scrubs every configured key: a provider may echo a credential that is not its own.
    const secrets = [
      ...new Set([...deployments.flatMap((d) => [d.apiKey, d.vertex?.credentials.private_key ?? '']).filter(Boolean), ...extraSecrets]),
    ];
    for (const d of deployments) this.byDeployment.set(d.id, factories[d.provider](d, secrets, observer));
  }

  for(deploymentId: string): BatchProvider {
    const provider = this.byDeployment.get(deploymentId);
    if (!provider) throw new Error(`deployment ${deploymentId} is not in the current config`);
    return provider;
  }
}
