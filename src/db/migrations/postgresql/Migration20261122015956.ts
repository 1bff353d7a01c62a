import { Migration } from '@mikro-orm/migrations';

export class Migration20261122015956 extends Migration {
  override name = 'Migration20261122015956';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "idempotency_record" ("scope" varchar(320) not null, "request_hash" varchar(64) not null, "batch_id" varchar(64) not null, "created_at" int not null, primary key ("scope"));`,
    );
    this.addSql(`create index "idempotency_record_created_at_index" on "idempotency_record" ("created_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "idempotency_record" cascade;`);
  }
}
