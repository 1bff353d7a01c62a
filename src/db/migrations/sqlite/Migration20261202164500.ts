import { Migration } from '@mikro-orm/migrations';

/** Output and error files registered earlier kept the provider's filename, which carries the upstream batch ID. */
export class Migration20261202164500 extends Migration {
  override name = 'Migration20261202164500';

  override up(): void | Promise<void> {
    this.addSql(
      `update \`managed_file\` set \`filename\` = (select b.\`id\` || '_output.jsonl' from \`managed_batch\` b where b.\`output_file_id\` = \`managed_file\`.\`id\`) where \`kind\` = 'output' and exists (select 1 from \`managed_batch\` b where b.\`output_file_id\` = \`managed_file\`.\`id\`);`,
    );
    this.addSql(
      `update \`managed_file\` set \`filename\` = (select b.\`id\` || '_error.jsonl' from \`managed_batch\` b where b.\`error_file_id\` = \`managed_file\`.\`id\`) where \`kind\` = 'error' and exists (select 1 from \`managed_batch\` b where b.\`error_file_id\` = \`managed_file\`.\`id\`);`,
    );
  }

  override down(): void | Promise<void> {
    // The provider's names are not kept: nothing to restore.
  }
}
