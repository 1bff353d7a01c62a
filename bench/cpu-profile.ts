import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of V8's .cpuprofile (what `node --cpu-prof` writes) that self time needs. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  name: string;
  location: string;
  selfMs: number;
  /**
   * The code of ours or of a package that most of this self time was spent under (the nearest caller outside
   * Node's internals and native code): what a `Buffer.concat` or a `writev` was called for.
   */
  calledFrom: string;
}

export interface ProfileSummary {
  /** Sampled time in the window, ms, and how much of it the process was idle (waiting for I/O). */
  totalMs: number;
  idleMs: number;
  /** Self time per function, most first; `(garbage collector)` and `(program)` (V8/native work) included. */
  frames: Frame[];
}

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * `file:///…/node_modules/pkg/dist/x.js:12` → `pkg/dist/x.js:12`; our files relative to the repo and without a
 * line: tsx compiles them, so the profile's line numbers are the compiled code's, not the source's.
 */
function shortLocation(url: string, line: number): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  const short = nm >= 0 ? path.slice(nm + 'node_modules/'.length) : path.startsWith('/') ? relative(root, path) : path;
  return short.endsWith('.ts') ? short : `${short}:${line + 1}`;
}

/** Where a frame's code comes from: an npm package, a folder of ours, Node's own JS, or native code and V8. */
function moduleOf(location: string): string {
  if (!location) return '(native code, V8)';
  if (location.startsWith('node:')) return '(Node.js internals)';
  if (location.startsWith('src/') || location.startsWith('clients/') || location.startsWith('dev/'))
    return location.split('/').slice(0, -1).join('/');
  const parts = location.split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * Self time per function of a .cpuprofile, counting only the samples taken between `fromUs` and `toUs`
 * (microseconds on the monotonic clock, as `process.hrtime` and V8's profiler both use), so that start-up and
 * shutdown stay out of a phase's profile. Each sample is worth the time until the next one.
 */
export function summariseCpuProfile(path: string, fromUs = -Infinity, toUs = Infinity): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const callerCache = new Map<number, string>();
  const callerOf = (id: number): string => {
    let caller = callerCache.get(id);
    if (caller === undefined) {
      caller = '';
      for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
        const f = byId.get(at)!;
        const where = shortLocation(f.url, f.lineNumber);
        if (where && !where.startsWith('node:')) {
          caller = `\`${f.functionName || '(anonymous)'}\` ${where}`;
          break;
        }
      }
      callerCache.set(id, caller);
    }
    return caller;
  };
  const self = new Map<string, Frame & { callers: Map<string, number> }>();
  let totalUs = 0;
  let idleUs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    const worth = profile.timeDeltas[i + 1] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const frame = byId.get(profile.samples[i])!;
    totalUs += worth;
    if (frame.functionName === '(idle)') {
      idleUs += worth;
      continue;
    }
    const name = frame.functionName || '(anonymous)';
    const location = shortLocation(frame.url, frame.lineNumber);
    const key = `${name}\0${location}`;
    const entry = self.get(key) ?? { name, location, selfMs: 0, calledFrom: '', callers: new Map<string, number>() };
    entry.selfMs += worth / 1000;
    const caller = moduleOf(location).startsWith('(') ? callerOf(profile.samples[i]) : '';
    entry.callers.set(caller, (entry.callers.get(caller) ?? 0) + worth);
    self.set(key, entry);
  }
  const frames = [...self.values()].map(({ callers, ...f }) => ({
    ...f,
    calledFrom: [...callers].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '',
  }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, frames: frames.sort((a, b) => b.selfMs - a.selfMs) };
}

/** The top `count` frames as a markdown table, each with its share of the busy (non-idle) time. */
export function formatTopFrames(title: string, summary: ProfileSummary, count = 15): string {
  const busy = summary.totalMs - summary.idleMs;
  const lines = [
    `### ${title}: top ${count} self-time frames`,
    '',
    `${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (${((100 * busy) / Math.max(summary.totalMs, 1)).toFixed(0)} %), shares are of the busy time.`,
    '',
    '| self ms | share | function | where | mostly under (for Node and native frames) |',
    '|---:|---:|---|---|---|',
    ...summary.frames
      .slice(0, count)
      .map(
        (f) =>
          `| ${f.selfMs.toFixed(0)} | ${((100 * f.selfMs) / Math.max(busy, 1)).toFixed(1)} % | \`${f.name}\` | ${f.location} | ${f.calledFrom} |`,
      ),
  ];
  const modules = new Map<string, number>();
  for (const f of summary.frames) modules.set(moduleOf(f.location), (modules.get(moduleOf(f.location)) ?? 0) + f.selfMs);
  const byModule = [...modules].sort((a, b) => b[1] - a[1]).slice(0, 10);
  lines.push(
    '',
    `Self time by where the code comes from: ${byModule.map(([m, t]) => `${m} ${((100 * t) / Math.max(busy, 1)).toFixed(0)} %`).join(', ')}.`,
  );
  return lines.join('\n');
}
