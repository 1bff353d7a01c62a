import { Migration } from '@mikro-orm/migrations';

export class Migration20261122005735 extends Migration {
  override name = 'Migration20261122005735';

  override up(): void | Promise<void> {
    this.addSql(
      `create table \`file_replica\` (\`id\` integer not null primary key autoincrement, \`file_id\` text not null, \`deployment_id\` text not null, \`model_group\` text not null, \`provider_file_id\` text not null, \`bytes\` bigint null, \`created_at\` integer not null);`,
    );
    this.addSql(`create index \`file_replica_file_id_index\` on \`file_replica\` (\`file_id\`);`);
    this.addSql(
      `create unique index \`file_replica_deployment_id_provider_file_id_unique\` on \`file_replica\` (\`deployment_id\`, \`provider_file_id\`);`,
    );

    this.addSql(
      `create table \`managed_batch\` (\`id\` text not null primary key, \`owner_key_id\` text null, \`owner_user_id\` text null, \`owner_team_id\` text null, \`input_file_id\` text not null, \`deployment_id\` text not null, \`model_group\` text not null, \`provider_batch_id\` text not null, \`status\` text not null, \`endpoint\` text not null, \`created_at\` integer not null, \`output_file_id\` text null, \`error_file_id\` text null, \`terminal\` integer not null default false, \`snapshot\` json not null, \`updated_at\` bigint not null, \`lease_owner\` text null, \`lease_until\` bigint null, \`next_poll_at\` bigint null, \`cost_recorded\` integer not null default false);`,
    );
    this.addSql(`create index \`managed_batch_owner_key_id_index\` on \`managed_batch\` (\`owner_key_id\`);`);
    this.addSql(`create index \`managed_batch_owner_team_id_index\` on \`managed_batch\` (\`owner_team_id\`);`);
    this.addSql(`create index \`managed_batch_input_file_id_index\` on \`managed_batch\` (\`input_file_id\`);`);
    this.addSql(`create index \`managed_batch_model_group_index\` on \`managed_batch\` (\`model_group\`);`);
    this.addSql(`create index \`managed_batch_created_at_index\` on \`managed_batch\` (\`created_at\`);`);
    this.addSql(`create index \`managed_batch_terminal_next_poll_at_index\` on \`managed_batch\` (\`terminal\`, \`next_poll_at\`);`);
    this.addSql(
      `create unique index \`managed_batch_deployment_id_provider_batch_id_unique\` on \`managed_batch\` (\`deployment_id\`, \`provider_batch_id\`);`,
    );

    this.addSql(
      `create table \`managed_file\` (\`id\` text not null primary key, \`owner_key_id\` text null, \`owner_user_id\` text null, \`owner_team_id\` text null, \`filename\` text not null, \`purpose\` text not null, \`kind\` text not null, \`bytes\` bigint not null, \`created_at\` integer not null, \`expires_at\` integer null, \`target_model_names\` json not null, \`endpoint\` text null, \`line_count\` integer null);`,
    );
    this.addSql(`create index \`managed_file_owner_key_id_index\` on \`managed_file\` (\`owner_key_id\`);`);
    this.addSql(`create index \`managed_file_owner_team_id_index\` on \`managed_file\` (\`owner_team_id\`);`);
    this.addSql(`create index \`managed_file_created_at_index\` on \`managed_file\` (\`created_at\`);`);

    this.addSql(
      `create table \`spend_record\` (\`batch_id\` text not null primary key, \`owner_key_id\` text null, \`owner_user_id\` text null, \`owner_team_id\` text null, \`model_group\` text not null, \`deployment_id\` text not null, \`requests\` integer not null, \`failed_requests\` integer not null, \`input_tokens\` bigint not null, \`cached_input_tokens\` bigint not null, \`output_tokens\` bigint not null, \`reasoning_tokens\` bigint not null, \`cost\` double not null, \`created_at\` integer not null);`,
    );
    this.addSql(`create index \`spend_record_owner_key_id_index\` on \`spend_record\` (\`owner_key_id\`);`);
    this.addSql(`create index \`spend_record_owner_team_id_index\` on \`spend_record\` (\`owner_team_id\`);`);
    this.addSql(`create index \`spend_record_created_at_index\` on \`spend_record\` (\`created_at\`);`);

    this.addSql(
      `create table \`team\` (\`id\` text not null primary key, \`alias\` text null, \`models\` json not null, \`max_budget\` double null, \`spend\` double not null default 0, \`metadata\` json null, \`created_at\` integer not null);`,
    );

    this.addSql(
      `create table \`virtual_key\` (\`id\` text not null primary key, \`token_hash\` text not null, \`key_name\` text not null, \`alias\` text null, \`user_id\` text null, \`team_id\` text null, \`models\` json not null, \`max_budget\` double null, \`spend\` double not null default 0, \`expires_at\` integer null, \`metadata\` json null, \`allow_provider_routes\` integer not null default false, \`created_at\` integer not null);`,
    );
    this.addSql(`create unique index \`virtual_key_token_hash_unique\` on \`virtual_key\` (\`token_hash\`);`);
    this.addSql(`create index \`virtual_key_team_id_index\` on \`virtual_key\` (\`team_id\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`file_replica\`;`);
    this.addSql(`drop table if exists \`managed_batch\`;`);
    this.addSql(`drop table if exists \`managed_file\`;`);
    this.addSql(`drop table if exists \`spend_record\`;`);
    this.addSql(`drop table if exists \`team\`;`);
    this.addSql(`drop table if exists \`virtual_key\`;`);
  }
}
