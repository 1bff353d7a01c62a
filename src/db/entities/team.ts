import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const Team = defineEntity({
  name: 'Team',
  tableName: 'team',
  properties: {
    id: p.string().length(64).primary(),
    alias: p.string().length(255).nullable(),
    models: p.json<string[]>(),
    maxBudget: p.double().nullable(),
    spend: p.double().default(0),
    metadata: p.json<Record<string, unknown>>().nullable(),
    createdAt: p.integer(),
  },
});
export type Team = InferEntity<typeof Team>;
