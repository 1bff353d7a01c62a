import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));

/** Is every dependency of bench/package.json installed in bench/node_modules at its pinned version? */
function installed(): boolean {
  const wanted = (JSON.parse(readFileSync(`${benchDir}package.json`, 'utf8')) as { dependencies: Record<string, string> }).dependencies;
  return Object.entries(wanted).every(([name, version]) => {
    const manifest = `${benchDir}node_modules/${name}/package.json`;
    return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version === version;
  });
}

/**
 * The bench's own packages (the Portkey gateway, autocannon) live in bench/package.json, not in the root one, so
 * that a production `npm install` stays lean. The first `npm run bench` installs them from bench/package-lock.json.
 */
export function ensureBenchDependencies(): void {
  if (installed()) return;
  console.log("installing the bench's own dependencies into bench/node_modules (first run) …");
  const npm = process.env.npm_execpath;
  const [command, args] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  const r = spawnSync(command, [...args, 'ci', '--no-audit', '--no-fund'], { cwd: benchDir, stdio: 'inherit' });
  if (r.status !== 0 || !installed()) throw new Error('could not install bench/package.json (npm ci in bench/)');
}
