import type { DeploymentHealth } from './health.js';

export interface Candidate {
  deploymentId: string;
  /** Batches of this gateway still running there: the load signal. */
  activeBatches: number;
}

/**
 * Orders the deployments holding a file for a batch create: healthy ones first, then fewest active batches,
 * then a rotating tie-break so equal deployments take turns. The caller tries them in order (failover).
 */
export function rankDeployments(candidates: Candidate[], health: DeploymentHealth, turn: number): string[] {
  const n = candidates.length;
  return candidates
    .map((c, i) => ({ ...c, healthy: health.isHealthy(c.deploymentId), rotation: (i - turn + n * 1000) % n }))
    .sort((a, b) => Number(b.healthy) - Number(a.healthy) || a.activeBatches - b.activeBatches || a.rotation - b.rotation)
    .map((c) => c.deploymentId);
}
