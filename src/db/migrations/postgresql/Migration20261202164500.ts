import { Migration } from '@mikro-orm/migrations';

/** Output and error files registered earlier kept the provider's filename, which carries the upstream batch ID. */
export class Migration20261202164500 extends Migration {
  override name = 'Migration20261202164500';

  override up(): void | Promise<void> {
    this.addSql(
      `update "managed_file" as f set "filename" = b."id" || '_output.jsonl' from "managed_batch" as b where b."output_file_id" = f."id" and f."kind" = 'output';`,
    );
    this.addSql(
      `update "managed_file" as f set "filename" = b."id" || '_error.jsonl' from "managed_batch" as b where b."error_file_id" = f."id" and f."kind" = 'error';`,
    );
  }

  override down(): void | Promise<void> {
    // The provider's names are not kept: nothing to restore.
  }
}
