/**
 * LiteLLM lets any string in config.yaml be `os.environ/NAME`. We resolve them once, at load, and keep the
 * path of every value so a missing variable is reported where it was written (`model_list[1].litellm_params.api_key`).
 */
export function resolveEnvReferences(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    const match = /^os\.environ\/(.+)$/.exec(value.trim());
    if (!match) return value;
    const name = match[1];
    const resolved = env[name];
    if (resolved === undefined) {
      throw new ConfigError(`${path || '<root>'}: environment variable ${name} is not set`);
    }
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveEnvReferences(item, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = resolveEnvReferences(item, env, path ? `${path}.${key}` : key);
    }
    return out;
  }
  return value;
}

/** A config problem found at start: the message always begins with the path of the bad value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
