import { Migration20261122005735 } from './Migration20261122005735.js';
import { Migration20261122010735 } from './Migration20261122010735.js';
import { Migration20261122015956 } from './Migration20261122015956.js';
import { Migration20261202155815 } from './Migration20261202155815.js';
import { Migration20261202160000 } from './Migration20261202160000.js';
import { Migration20261202161500 } from './Migration20261202161500.js';
import { Migration20261202164500 } from './Migration20261202164500.js';
import { Migration20261203103000 } from './Migration20261203103000.js';

/** Every migration of this dialect, oldest first (listed, not globbed, so tsx and bundles see the same set). */
export const sqliteMigrations = [
  Migration20261122005735, // managed files, replicas, batches, keys, teams, spend
  Migration20261122010735, // provider_object: ownership of pass-through route objects
  Migration20261122015956, // idempotency_record: Idempotency-Key on batch create
  Migration20261202155815, // file_layout_chunk: what makes an input file's exact upload recoverable from a copy
  Migration20261202160000, // webhook_delivery (outbox), pending_delete (janitor), batch_create_intent (crash-safe create)
  Migration20261202161500, // owner + created_at + id indexes: list pages
  Migration20261202164500, // output/error filenames: ours (<batch id>_output.jsonl), not the provider's
  Migration20261203103000, // the tracker's claim reads only batches with work left (a partial index)
];
