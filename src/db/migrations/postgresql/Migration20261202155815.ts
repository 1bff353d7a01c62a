import { Migration } from '@mikro-orm/migrations';

export class Migration20261202155815 extends Migration {
  override name = 'Migration20261202155815';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "file_layout_chunk" ("file_id" varchar(64) not null, "seq" int not null, "data" bytea not null, primary key ("file_id", "seq"));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "file_layout_chunk" cascade;`);
  }
}
