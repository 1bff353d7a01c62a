import { Migration } from '@mikro-orm/migrations';

export class Migration20261202160000 extends Migration {
  override name = 'Migration20261202160000';

  override up(): void | Promise<void> {
    this.addSql(
      `create table \`batch_create_intent\` (\`id\` text not null primary key, \`caller_scope\` text not null, \`owner_key_id\` text null, \`owner_user_id\` text null, \`owner_team_id\` text null, \`input_file_id\` text not null, \`request_hash\` text not null, \`request\` json not null, \`deployments\` json not null, \`tagged\` integer not null, \`state\` text not null, \`batch_id\` text null, \`lease_owner\` text null, \`lease_until\` bigint null, \`created_at\` bigint not null);`,
    );
    this.addSql(`create index \`batch_create_intent_owner_key_id_index\` on \`batch_create_intent\` (\`owner_key_id\`);`);
    this.addSql(`create index \`batch_create_intent_owner_team_id_index\` on \`batch_create_intent\` (\`owner_team_id\`);`);
    this.addSql(
      `create index \`batch_create_intent_caller_scope_request_hash_created_at_index\` on \`batch_create_intent\` (\`caller_scope\`, \`request_hash\`, \`created_at\`);`,
    );
    this.addSql(`create index \`batch_create_intent_state_lease_until_index\` on \`batch_create_intent\` (\`state\`, \`lease_until\`);`);
    this.addSql(
      `create table \`pending_delete\` (\`id\` integer not null primary key autoincrement, \`deployment_id\` text not null, \`provider_file_id\` text not null, \`reason\` text not null, \`attempts\` integer not null default 0, \`next_attempt_at\` bigint not null, \`lease_owner\` text null, \`lease_until\` bigint null, \`last_error\` text null, \`created_at\` bigint not null);`,
    );
    this.addSql(`create index \`pending_delete_next_attempt_at_index\` on \`pending_delete\` (\`next_attempt_at\`);`);
    this.addSql(
      `create unique index \`pending_delete_deployment_id_provider_file_id_unique\` on \`pending_delete\` (\`deployment_id\`, \`provider_file_id\`);`,
    );
    this.addSql(
      `create table \`webhook_delivery\` (\`id\` text not null primary key, \`event_type\` text not null, \`subject_id\` text not null, \`body\` text not null, \`attempts\` integer not null default 0, \`next_attempt_at\` bigint not null, \`lease_owner\` text null, \`lease_until\` bigint null, \`delivered_at\` bigint null, \`last_error\` text null, \`created_at\` bigint not null);`,
    );
    this.addSql(
      `create index \`webhook_delivery_delivered_at_next_attempt_at_index\` on \`webhook_delivery\` (\`delivered_at\`, \`next_attempt_at\`);`,
    );
    this.addSql(
      `create unique index \`webhook_delivery_event_type_subject_id_unique\` on \`webhook_delivery\` (\`event_type\`, \`subject_id\`);`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`webhook_delivery\`;`);
    this.addSql(`drop table if exists \`pending_delete\`;`);
    this.addSql(`drop table if exists \`batch_create_intent\`;`);
  }
}
