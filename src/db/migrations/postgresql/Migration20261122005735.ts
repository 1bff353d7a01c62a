import { Migration } from '@mikro-orm/migrations';

export class Migration20261122005735 extends Migration {
  override name = 'Migration20261122005735';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "file_replica" ("id" serial primary key, "file_id" varchar(64) not null, "deployment_id" varchar(128) not null, "model_group" varchar(255) not null, "provider_file_id" varchar(255) not null, "bytes" bigint null, "created_at" int not null);`,
    );
    this.addSql(`create index "file_replica_file_id_index" on "file_replica" ("file_id");`);
    this.addSql(
      `alter table "file_replica" add constraint "file_replica_deployment_id_provider_file_id_unique" unique ("deployment_id", "provider_file_id");`,
    );

    this.addSql(
      `create table "managed_batch" ("id" varchar(64) not null, "owner_key_id" varchar(64) null, "owner_user_id" varchar(255) null, "owner_team_id" varchar(64) null, "input_file_id" varchar(64) not null, "deployment_id" varchar(128) not null, "model_group" varchar(255) not null, "provider_batch_id" varchar(255) not null, "status" varchar(32) not null, "endpoint" varchar(64) not null, "created_at" int not null, "output_file_id" varchar(64) null, "error_file_id" varchar(64) null, "terminal" boolean not null default false, "snapshot" jsonb not null, "updated_at" bigint not null, "lease_owner" varchar(64) null, "lease_until" bigint null, "next_poll_at" bigint null, "cost_recorded" boolean not null default false, primary key ("id"));`,
    );
    this.addSql(`create index "managed_batch_owner_key_id_index" on "managed_batch" ("owner_key_id");`);
    this.addSql(`create index "managed_batch_owner_team_id_index" on "managed_batch" ("owner_team_id");`);
    this.addSql(`create index "managed_batch_input_file_id_index" on "managed_batch" ("input_file_id");`);
    this.addSql(`create index "managed_batch_model_group_index" on "managed_batch" ("model_group");`);
    this.addSql(`create index "managed_batch_created_at_index" on "managed_batch" ("created_at");`);
    this.addSql(`create index "managed_batch_terminal_next_poll_at_index" on "managed_batch" ("terminal", "next_poll_at");`);
    this.addSql(
      `alter table "managed_batch" add constraint "managed_batch_deployment_id_provider_batch_id_unique" unique ("deployment_id", "provider_batch_id");`,
    );

    this.addSql(
      `create table "managed_file" ("id" varchar(64) not null, "owner_key_id" varchar(64) null, "owner_user_id" varchar(255) null, "owner_team_id" varchar(64) null, "filename" varchar(1024) not null, "purpose" varchar(32) not null, "kind" varchar(16) not null, "bytes" bigint not null, "created_at" int not null, "expires_at" int null, "target_model_names" jsonb not null, "endpoint" varchar(64) null, "line_count" int null, primary key ("id"));`,
    );
    this.addSql(`create index "managed_file_owner_key_id_index" on "managed_file" ("owner_key_id");`);
    this.addSql(`create index "managed_file_owner_team_id_index" on "managed_file" ("owner_team_id");`);
    this.addSql(`create index "managed_file_created_at_index" on "managed_file" ("created_at");`);

    this.addSql(
      `create table "spend_record" ("batch_id" varchar(64) not null, "owner_key_id" varchar(64) null, "owner_user_id" varchar(255) null, "owner_team_id" varchar(64) null, "model_group" varchar(255) not null, "deployment_id" varchar(128) not null, "requests" int not null, "failed_requests" int not null, "input_tokens" bigint not null, "cached_input_tokens" bigint not null, "output_tokens" bigint not null, "reasoning_tokens" bigint not null, "cost" double precision not null, "created_at" int not null, primary key ("batch_id"));`,
    );
    this.addSql(`create index "spend_record_owner_key_id_index" on "spend_record" ("owner_key_id");`);
    this.addSql(`create index "spend_record_owner_team_id_index" on "spend_record" ("owner_team_id");`);
    this.addSql(`create index "spend_record_created_at_index" on "spend_record" ("created_at");`);

    this.addSql(
      `create table "team" ("id" varchar(64) not null, "alias" varchar(255) null, "models" jsonb not null, "max_budget" double precision null, "spend" double precision not null default 0, "metadata" jsonb null, "created_at" int not null, primary key ("id"));`,
    );

    this.addSql(
      `create table "virtual_key" ("id" varchar(64) not null, "token_hash" varchar(64) not null, "key_name" varchar(32) not null, "alias" varchar(255) null, "user_id" varchar(255) null, "team_id" varchar(64) null, "models" jsonb not null, "max_budget" double precision null, "spend" double precision not null default 0, "expires_at" int null, "metadata" jsonb null, "allow_provider_routes" boolean not null default false, "created_at" int not null, primary key ("id"));`,
    );
    this.addSql(`alter table "virtual_key" add constraint "virtual_key_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "virtual_key_team_id_index" on "virtual_key" ("team_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "file_replica" cascade;`);
    this.addSql(`drop table if exists "managed_batch" cascade;`);
    this.addSql(`drop table if exists "managed_file" cascade;`);
    this.addSql(`drop table if exists "spend_record" cascade;`);
    this.addSql(`drop table if exists "team" cascade;`);
    this.addSql(`drop table if exists "virtual_key" cascade;`);
  }
}
