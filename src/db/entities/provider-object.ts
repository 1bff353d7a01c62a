import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ownerColumns } from './owner.js';

/**
 * A file or batch made through a pass-through provider route (/azure/v1/*, /openai/v1/*). Those routes show
 * raw provider IDs, so this row is what makes isolation hold for them: no row visible to the caller, no access.
 */
export const ProviderObject = defineEntity({
  name: 'ProviderObject',
  tableName: 'provider_object',
  properties: {
    id: p.integer().primary().autoincrement(),
    route: p.string().length(16),
    kind: p.string().length(16), // file | batch
    providerId: p.string().length(255),
    ...ownerColumns,
    createdAt: p.integer(),
  },
  uniques: [{ properties: ['route', 'kind', 'providerId'] }],
  indexes: [{ properties: ['route', 'kind', 'createdAt'] }],
});
export type ProviderObject = InferEntity<typeof ProviderObject>;
