import type { Deployment } from '../../config/types.js';
import { UpstreamClient, type UpstreamObserver } from '../http/client.js';
import { OpenAICompatibleProvider } from '../openai-compatible.js';

/** api.openai.com (or any OpenAI-compatible base URL): Bearer auth, `/v1` in the base. */
export function createOpenAIProvider(d: Deployment, secrets: string[] = [d.apiKey], observer?: UpstreamObserver): OpenAICompatibleProvider {
  return new OpenAICompatibleProvider(
    new UpstreamClient({
      baseUrl: d.apiBase,
      headers: { authorization: `Bearer ${d.apiKey}` },
      timeoutMs: d.timeoutMs,
      secrets,
      deploymentId: d.id,
      observer,
    }),
  );
}
