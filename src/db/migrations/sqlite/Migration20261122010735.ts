import { Migration } from '@mikro-orm/migrations';

export class Migration20261122010735 extends Migration {
  override name = 'Migration20261122010735';

  override up(): void | Promise<void> {
    this.addSql(
      `create table \`provider_object\` (\`id\` integer not null primary key autoincrement, \`route\` text not null, \`kind\` text not null, \`provider_id\` text not null, \`owner_key_id\` text null, \`owner_user_id\` text null, \`owner_team_id\` text null, \`created_at\` integer not null);`,
    );
    this.addSql(`create index \`provider_object_owner_key_id_index\` on \`provider_object\` (\`owner_key_id\`);`);
    this.addSql(`create index \`provider_object_owner_team_id_index\` on \`provider_object\` (\`owner_team_id\`);`);
    this.addSql(
      `create index \`provider_object_route_kind_created_at_index\` on \`provider_object\` (\`route\`, \`kind\`, \`created_at\`);`,
    );
    this.addSql(
      `create unique index \`provider_object_route_kind_provider_id_unique\` on \`provider_object\` (\`route\`, \`kind\`, \`provider_id\`);`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`provider_object\`;`);
  }
}
