/** `npm run bench`: every bench/*.ts but this one, one after the other, each in its own process. */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const benches = readdirSync(new URL('.', import.meta.url)).filter((f) => f.endsWith('.ts') && f !== 'run.ts').sort();
let failed = 0;
for (const bench of benches) {
  console.log(`== bench/${bench}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--disable-warning=ExperimentalWarning', `bench/${bench}`], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
