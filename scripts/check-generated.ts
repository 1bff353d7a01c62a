/**
 * `npm run check:generated`: regenerates proto/ into a temp dir (the same commands as `npm run generate`) and
 * compares it with the committed clients/grpc/gen/. Exits 1, naming the files, when they differ.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const GEN = 'clients/grpc/gen';
const buf = join('node_modules', '.bin', 'buf');
const tmp = mkdtempSync(join(tmpdir(), 'sluice-gen-'));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

try {
  execFileSync(buf, ['generate', '-o', tmp], { stdio: 'inherit' });
  execFileSync(buf, ['build', '--exclude-source-info', '-o', join(tmp, GEN, 'sluice.binpb')], { stdio: 'inherit' });
  const fresh = new Set(files(join(tmp, GEN)).map((f) => relative(join(tmp, GEN), f)));
  const committed = new Set(files(GEN).map((f) => relative(GEN, f)));
  const stale = [...new Set([...fresh, ...committed])].filter(
    (f) => !fresh.has(f) || !committed.has(f) || !readFileSync(join(tmp, GEN, f)).equals(readFileSync(join(GEN, f))),
  );
  if (stale.length) {
    console.error(`generated code is stale (${stale.join(', ')}): run npm run generate`);
    process.exitCode = 1;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
