import { Migration } from '@mikro-orm/migrations';

/** A caller's newest-first page of batches or files comes from one index range (issue 10: list p99 ≤ 10 ms). */
export class Migration20261202161500 extends Migration {
  override name = 'Migration20261202161500';

  override up(): void | Promise<void> {
    this.addSql(
      `create index if not exists "managed_batch_owner_team_page_index" on "managed_batch" ("owner_team_id", "created_at", "id");`,
    );
    this.addSql(`create index if not exists "managed_batch_owner_key_page_index" on "managed_batch" ("owner_key_id", "created_at", "id");`);
    this.addSql(`create index if not exists "managed_file_owner_team_page_index" on "managed_file" ("owner_team_id", "created_at", "id");`);
    this.addSql(`create index if not exists "managed_file_owner_key_page_index" on "managed_file" ("owner_key_id", "created_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "managed_batch_owner_team_page_index";`);
    this.addSql(`drop index if exists "managed_batch_owner_key_page_index";`);
    this.addSql(`drop index if exists "managed_file_owner_team_page_index";`);
    this.addSql(`drop index if exists "managed_file_owner_key_page_index";`);
  }
}
