import { Migration } from '@mikro-orm/migrations';

export class Migration20261122010735 extends Migration {
  override name = 'Migration20261122010735';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "provider_object" ("id" serial primary key, "route" varchar(16) not null, "kind" varchar(16) not null, "provider_id" varchar(255) not null, "owner_key_id" varchar(64) null, "owner_user_id" varchar(255) null, "owner_team_id" varchar(64) null, "created_at" int not null);`,
    );
    this.addSql(`create index "provider_object_owner_key_id_index" on "provider_object" ("owner_key_id");`);
    this.addSql(`create index "provider_object_owner_team_id_index" on "provider_object" ("owner_team_id");`);
    this.addSql(`create index "provider_object_route_kind_created_at_index" on "provider_object" ("route", "kind", "created_at");`);
    this.addSql(
      `alter table "provider_object" add constraint "provider_object_route_kind_provider_id_unique" unique ("route", "kind", "provider_id");`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "provider_object" cascade;`);
  }
}
