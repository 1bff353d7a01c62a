import { Migration } from '@mikro-orm/migrations';

export class Migration20261202160000 extends Migration {
  override name = 'Migration20261202160000';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "batch_create_intent" ("id" varchar(64) not null, "caller_scope" varchar(64) not null, "owner_key_id" varchar(64) null, "owner_user_id" varchar(255) null, "owner_team_id" varchar(64) null, "input_file_id" varchar(64) not null, "request_hash" varchar(64) not null, "request" jsonb not null, "deployments" jsonb not null, "tagged" boolean not null, "state" varchar(16) not null, "batch_id" varchar(64) null, "lease_owner" varchar(64) null, "lease_until" bigint null, "created_at" bigint not null, primary key ("id"));`,
    );
    this.addSql(`create index "batch_create_intent_owner_key_id_index" on "batch_create_intent" ("owner_key_id");`);
    this.addSql(`create index "batch_create_intent_owner_team_id_index" on "batch_create_intent" ("owner_team_id");`);
    this.addSql(
      `create index "batch_create_intent_caller_scope_request_hash_created_at_index" on "batch_create_intent" ("caller_scope", "request_hash", "created_at");`,
    );
    this.addSql(`create index "batch_create_intent_state_lease_until_index" on "batch_create_intent" ("state", "lease_until");`);
    this.addSql(
      `create table "pending_delete" ("id" serial primary key, "deployment_id" varchar(128) not null, "provider_file_id" varchar(255) not null, "reason" varchar(32) not null, "attempts" int not null default 0, "next_attempt_at" bigint not null, "lease_owner" varchar(64) null, "lease_until" bigint null, "last_error" text null, "created_at" bigint not null);`,
    );
    this.addSql(`create index "pending_delete_next_attempt_at_index" on "pending_delete" ("next_attempt_at");`);
    this.addSql(
      `alter table "pending_delete" add constraint "pending_delete_deployment_id_provider_file_id_unique" unique ("deployment_id", "provider_file_id");`,
    );
    this.addSql(
      `create table "webhook_delivery" ("id" varchar(64) not null, "event_type" varchar(64) not null, "subject_id" varchar(64) not null, "body" text not null, "attempts" int not null default 0, "next_attempt_at" bigint not null, "lease_owner" varchar(64) null, "lease_until" bigint null, "delivered_at" bigint null, "last_error" text null, "created_at" bigint not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "webhook_delivery_delivered_at_next_attempt_at_index" on "webhook_delivery" ("delivered_at", "next_attempt_at");`,
    );
    this.addSql(
      `alter table "webhook_delivery" add constraint "webhook_delivery_event_type_subject_id_unique" unique ("event_type", "subject_id");`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "webhook_delivery" cascade;`);
    this.addSql(`drop table if exists "pending_delete" cascade;`);
    this.addSql(`drop table if exists "batch_create_intent" cascade;`);
  }
}
