import { echo } from '../echo.js';
import { invalidRequest } from '../errors.js';
import type { Gateway } from '../gateway.js';

/** A key or team may only be scoped to model groups that exist: a typo would silently grant nothing. */
export function assertKnownGroups(gw: Gateway, models: string[]): void {
  const unknown = models.filter((m) => !gw.config.groups.has(m));
  if (unknown.length) throw invalidRequest(`Unknown model group(s): ${echo(unknown.join(', '))}`, 'models', 'model_not_found');
}
