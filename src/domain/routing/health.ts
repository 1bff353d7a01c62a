/**
 * Passive health: a deployment that failed with a network error, 429 or 5xx is avoided for a cool-down
 * (doubling on repeated failures, capped), and used again after it. In memory, per process: each replica of
 * the gateway learns on its own, which is enough to steer new creates away from a sick deployment.
 */
export class DeploymentHealth {
  private readonly state = new Map<string, { failures: number; until: number }>();

  constructor(
    private readonly baseCooldownMs = 5_000,
    private readonly maxCooldownMs = 120_000,
    private readonly now: () => number = Date.now,
  ) {}

  isHealthy(deploymentId: string): boolean {
    const s = this.state.get(deploymentId);
    return !s || s.until <= this.now();
  }

  recordFailure(deploymentId: string, retryAfterSeconds?: number): void {
    const failures = (this.state.get(deploymentId)?.failures ?? 0) + 1;
    const backoff = Math.min(this.baseCooldownMs * 2 ** (failures - 1), this.maxCooldownMs);
    const cooldown = retryAfterSeconds !== undefined ? Math.max(retryAfterSeconds * 1000, backoff) : backoff;
    this.state.set(deploymentId, { failures, until: this.now() + Math.min(cooldown, this.maxCooldownMs) });
  }

  recordSuccess(deploymentId: string): void {
    this.state.delete(deploymentId);
  }
}
