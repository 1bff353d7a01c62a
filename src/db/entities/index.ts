import { BatchCreateIntent } from './batch-create-intent.js';
import { FileLayoutChunk } from './file-layout-chunk.js';
import { FileReplica } from './file-replica.js';
import { IdempotencyRecord } from './idempotency-record.js';
import { ManagedBatch } from './managed-batch.js';
import { ManagedFile } from './managed-file.js';
import { PendingDelete } from './pending-delete.js';
import { ProviderObject } from './provider-object.js';
import { SpendRecord } from './spend-record.js';
import { Team } from './team.js';
import { VirtualKey } from './virtual-key.js';
import { WebhookDelivery } from './webhook-delivery.js';

export {
  BatchCreateIntent,
  FileLayoutChunk,
  FileReplica,
  IdempotencyRecord,
  ManagedBatch,
  ManagedFile,
  PendingDelete,
  ProviderObject,
  SpendRecord,
  Team,
  VirtualKey,
  WebhookDelivery,
};
export const entities = [
  ManagedFile,
  FileReplica,
  ManagedBatch,
  Team,
  VirtualKey,
  SpendRecord,
  ProviderObject,
  IdempotencyRecord,
  FileLayoutChunk,
  WebhookDelivery,
  PendingDelete,
  BatchCreateIntent,
];
