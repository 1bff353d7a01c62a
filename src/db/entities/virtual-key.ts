import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A virtual key. Only the SHA-256 of the secret is stored; the secret is shown once, at generation. */
export const VirtualKey = defineEntity({
  name: 'VirtualKey',
  tableName: 'virtual_key',
  properties: {
    id: p.string().length(64).primary(),
    tokenHash: p.string().length(64).unique(),
    /** First and last characters of the secret, for humans ("sk-...abcd"); never enough to use it. */
    keyName: p.string().length(32),
    alias: p.string().length(255).nullable(),
    userId: p.string().length(255).nullable(),
    teamId: p.string().length(64).nullable().index(),
    models: p.json<string[]>(),
    maxBudget: p.double().nullable(),
    spend: p.double().default(0),
    expiresAt: p.integer().nullable(),
    metadata: p.json<Record<string, unknown>>().nullable(),
    allowProviderRoutes: p.boolean().default(false),
    createdAt: p.integer(),
  },
});
export type VirtualKey = InferEntity<typeof VirtualKey>;
