import { AZURE_KEY_EAST, AZURE_KEY_WEST, OPENAI_KEY } from '../../dev/emulated-secrets.js';
import { DEPLOYMENT_MODELS } from '../../dev/emulated-stack.js';
import { leakIn } from './leak-patterns.js';

/**
 * The log-scan guard of the whole e2e suite (loaded by vitest's setupFiles): every response a test reads from
 * the gateway is scanned for provider secrets, and for virtual-key secrets outside the one /key/generate
 * answer that shows them; every error body for what must never be in one (leak-patterns.ts). Stacks assert on
 * close that neither their logs nor any response held one.
 */
const PROVIDER_SECRETS = [AZURE_KEY_EAST, AZURE_KEY_WEST, OPENAI_KEY];
const virtualKeySecrets = new Set<string>();
export const leaks: string[] = [];
const gatewayOrigins = new Set<string>();

export function watchGateway(url: string): void {
  gatewayOrigins.add(new URL(url).origin);
}

/** Secrets made at run time (the Vertex emulator's service-account private key): watched like the fixed ones. */
const runtimeSecrets = new Set<string>();
export function watchSecret(secret: string): void {
  runtimeSecrets.add(secret);
}

export function secretsToWatch(): string[] {
  return [...PROVIDER_SECRETS, ...runtimeSecrets, ...virtualKeySecrets];
}

/**
 * The deployments' model names are internal too (they leak the operator's Azure deployments), as a name of
 * their own: "gpt-4o-mini" inside the group name "gpt-4o-mini-batch" is not one. The pass-through routes
 * (/azure/…, /openai/…) are exempt: there the caller names deployments themselves.
 */
const DEPLOYMENT_NAME = new RegExp(
  `(?<![\\w-])(?:${DEPLOYMENT_MODELS.map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?![\\w-])`,
);
const PASS_THROUGH = /^\/(?:azure|openai)\//;

export function deploymentNameIn(text: string): string | null {
  return DEPLOYMENT_NAME.exec(text)?.[0] ?? null;
}

const SCAN_LIMIT = 8 * 1024 * 1024;
const realFetch = globalThis.fetch;

globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
  const res = await realFetch(input, init);
  const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
  if (!gatewayOrigins.has(url.origin)) return res;
  const length = Number(res.headers.get('content-length') ?? '0');
  if (length > SCAN_LIMIT) return res;
  const text = await res.clone().text();
  const isGenerate = url.pathname === '/key/generate' && res.ok;
  for (const secret of secretsToWatch()) {
    if (text.includes(secret)) leaks.push(`${url.pathname}: response contains a secret (${secret.slice(0, 6)}…)`);
  }
  const deployment = PASS_THROUGH.test(url.pathname) ? null : deploymentNameIn(text);
  if (deployment) leaks.push(`${url.pathname}: response contains the deployment model name ${deployment}`);
  // Any error answer of the gateway, on any test: no stack, SQL, server path, provider URL or deployment name.
  if (res.status >= 400) {
    const leak = leakIn(text);
    if (leak) leaks.push(`${url.pathname.slice(0, 100)}: an error body contains ${leak}: ${text.slice(0, 200)}`);
  }
  if (isGenerate) {
    const key = JSON.parse(text).key;
    if (typeof key === 'string') virtualKeySecrets.add(key);
  }
  return res;
};

/**
 * The same scan for answers that do not travel through fetch (gRPC): `what` names the call in the report.
 * Returns `value` unchanged.
 */
export function scanAnswer<T>(what: string, value: T): T {
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : (JSON.stringify(value) ?? '');
  for (const secret of secretsToWatch()) {
    if (text.includes(secret)) leaks.push(`${what}: answer contains a secret (${secret.slice(0, 6)}…)`);
  }
  const deployment = deploymentNameIn(text);
  if (deployment) leaks.push(`${what}: answer contains the deployment model name ${deployment}`);
  return value;
}

/** Throws if a response or one of `logLines` held a secret. */
export function assertNoSecretLeaks(logLines: string[]): void {
  const all = logLines.join('\n');
  for (const secret of secretsToWatch()) {
    if (all.includes(secret)) leaks.push(`a log line contains a secret (${secret.slice(0, 6)}…)`);
  }
  if (leaks.length) throw new Error(`secrets leaked:\n${[...new Set(leaks)].join('\n')}`);
}
