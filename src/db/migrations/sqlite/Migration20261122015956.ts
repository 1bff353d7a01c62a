import { Migration } from '@mikro-orm/migrations';

export class Migration20261122015956 extends Migration {
  override name = 'Migration20261122015956';

  override up(): void | Promise<void> {
    this.addSql(
      `create table \`idempotency_record\` (\`scope\` text not null primary key, \`request_hash\` text not null, \`batch_id\` text not null, \`created_at\` integer not null);`,
    );
    this.addSql(`create index \`idempotency_record_created_at_index\` on \`idempotency_record\` (\`created_at\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`idempotency_record\`;`);
  }
}
