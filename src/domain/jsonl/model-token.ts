const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;

/** Deeper lines are refused before JSON.parse sees them: nothing a batch request needs nests this far. */
export const MAX_LINE_DEPTH = 256;

export const BODY_MODEL_PATH = ['body', 'model'] as const;
/** Where an output line's model sits: `{"custom_id", "response": {"body": {"model"}}}`. */
export const RESPONSE_MODEL_PATH = ['response', 'body', 'model'] as const;

export interface LineScan {
  /** Nesting went past MAX_LINE_DEPTH: the scan stopped there. */
  tooDeep: boolean;
  /** A key repeated in an object on the path (compared after unescaping), e.g. "body" and "bo\u0064y". */
  duplicateKey: { key: string; where: string } | null;
  /** The string token (quotes included) at the path, when its value is a string. */
  token: { start: number; end: number } | null;
}

/** An object on the path, open now. Containers off the path are only counted (their keys are never read). */
interface PathFrame {
  /** Its nesting depth (1: the line's top-level object). */
  depth: number;
  /** Index in the path of the key this object's keys are compared with. */
  level: number;
  /**
   * Its keys so far. Plain ones (ASCII, no escape: nearly all) as byte ranges of the line, compared byte for byte
   * without making strings; the others decoded (escapes undone, UTF-8 read).
   */
  plainStarts: number[];
  plainEnds: number[];
  decoded: string[] | null;
  expectKey: boolean;
  /** The key just read matched path[level]; its value comes next. */
  pending: boolean;
}

/** Each path's keys as bytes, for comparing plain keys without decoding them. */
const pathBytes = new WeakMap<readonly string[], Buffer[]>();

/** A string shorter than this is searched for its closing quote here; a longer one by Buffer.indexOf. */
const SHORT_STRING = 64;

/**
 * One pass over the raw bytes of a JSON line, tracking only the objects along `path` (from the top-level
 * object): where the string at `path` sits, whether a key repeats in one of those objects, how deep the
 * nesting goes. Keys are compared after unescaping, so `"mod\u0065l"` is `"model"`. The token is located in
 * the bytes, so replacing it rewrites exactly the value that counts, whatever the rest of the line's spelling.
 * Meaningful on lines JSON.parse accepts; on others it only bounds the nesting (it never throws).
 */
export function scanJsonLine(line: Buffer, path: readonly string[]): LineScan {
  let keysAsBytes = pathBytes.get(path);
  if (!keysAsBytes) pathBytes.set(path, (keysAsBytes = path.map((k) => Buffer.from(k))));
  const frames: PathFrame[] = [];
  let depth = 0;
  let duplicateKey: LineScan['duplicateKey'] = null;
  let token: LineScan['token'] = null;
  const n = line.length;
  for (let i = 0; i < n; i++) {
    const c = line[i];
    const last = frames.length > 0 ? frames[frames.length - 1] : undefined;
    // The innermost open container, when it is an object on the path.
    const top = last !== undefined && last.depth === depth ? last : undefined;
    if (c === QUOTE) {
      const start = i;
      i = closingQuote(line, i, n);
      const end = i + 1;
      if (!top) continue;
      if (top.expectKey) {
        top.expectKey = false;
        const repeated = addKey(top, line, start + 1, end - 1, keysAsBytes[top.level], path[top.level]);
        if (repeated !== null) duplicateKey ??= { key: repeated, where: path.slice(0, top.level).join('.') };
      } else if (top.pending) {
        if (top.level === path.length - 1) token = { start, end };
        top.pending = false;
      }
      continue;
    }
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (depth >= MAX_LINE_DEPTH) return { tooDeep: true, duplicateKey, token };
      const onPath = c === OPEN_OBJ && (depth === 0 || (top !== undefined && top.pending && top.level < path.length - 1));
      const level = depth === 0 ? 0 : (top?.level ?? 0) + 1;
      if (top) top.pending = false;
      depth++;
      if (onPath) frames.push({ depth, level, plainStarts: [], plainEnds: [], decoded: null, expectKey: true, pending: false });
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      if (last !== undefined && last.depth === depth) frames.pop();
      if (depth > 0) depth--;
    } else if (c === COMMA) {
      if (top) top.expectKey = true;
    } else if (c !== COLON && c > 0x20 && top?.pending) {
      top.pending = false; // a number, true, false or null as the value
    }
  }
  return { tooDeep: false, duplicateKey, token };
}

/**
 * Where the string opened by the quote at `start` closes (the first quote not escaped by an odd run of
 * backslashes), or `n` when it does not. Short strings (keys, most values) are walked here: a call into
 * Buffer.indexOf for each of a line's twenty-odd strings was most of the scan's time.
 */
function closingQuote(line: Buffer, start: number, n: number): number {
  const stop = Math.min(n, start + SHORT_STRING);
  let i = start + 1;
  for (; i < stop; i++) {
    const b = line[i];
    if (b === QUOTE) return i;
    if (b === BACKSLASH) i++; // the next byte is escaped, whatever it is
  }
  for (;;) {
    const q = i >= n ? -1 : line.indexOf(QUOTE, i);
    if (q === -1) return n;
    let slashes = 0;
    for (let j = q - 1; j > start && line[j] === BACKSLASH; j--) slashes++;
    if (slashes % 2 === 0) return q;
    i = q + 1;
  }
}

/**
 * Records the key `line[from, to)` (without its quotes) of an object on the path, sets whether it is the path's
 * key (`pathKey`, also as `pathKeyBytes`), and answers the key when the object already had it, else null.
 */
function addKey(frame: PathFrame, line: Buffer, from: number, to: number, pathKeyBytes: Buffer, pathKey: string): string | null {
  let plain = true;
  for (let i = from; i < to; i++) {
    const b = line[i];
    if (b === BACKSLASH || b >= 0x80) {
      plain = false;
      break;
    }
  }
  const { plainStarts, plainEnds } = frame;
  if (plain) {
    let repeated = false;
    for (let k = 0; k < plainStarts.length && !repeated; k++) repeated = sameBytes(line, plainStarts[k], plainEnds[k], line, from, to);
    // An escaped spelling seen before ("bo\u0064y") is the same key as this plain one.
    if (!repeated && frame.decoded !== null) repeated = frame.decoded.includes(line.toString('latin1', from, to));
    plainStarts.push(from);
    plainEnds.push(to);
    frame.pending = sameBytes(pathKeyBytes, 0, pathKeyBytes.length, line, from, to);
    return repeated ? line.toString('latin1', from, to) : null;
  }
  const key = decodeKey(line, from - 1, to + 1);
  let repeated = frame.decoded !== null && frame.decoded.includes(key);
  for (let k = 0; k < plainStarts.length && !repeated; k++) repeated = line.toString('latin1', plainStarts[k], plainEnds[k]) === key;
  (frame.decoded ??= []).push(key);
  frame.pending = key === pathKey;
  return repeated ? key : null;
}

function sameBytes(a: Buffer, aFrom: number, aTo: number, b: Buffer, bFrom: number, bTo: number): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false;
  for (let i = 0; i < aTo - aFrom; i++) if (a[aFrom + i] !== b[bFrom + i]) return false;
  return true;
}

/** A key with escapes or non-ASCII bytes (`start`, `end`: its quotes included), as JSON.parse reads it. */
function decodeKey(line: Buffer, start: number, end: number): string {
  const escaped = line.subarray(start, end).includes(BACKSLASH); // bounded: a search to the line's end per key is quadratic
  if (!escaped) return line.toString('utf8', start + 1, end - 1);
  try {
    return JSON.parse(line.toString('utf8', start, end)) as string;
  } catch {
    return line.toString('utf8', start + 1, end - 1); // not valid JSON: JSON.parse of the line refuses it anyway
  }
}

/** Where the `body.model` string token (quotes included) sits in the raw bytes of a batch input line. */
export function findModelToken(line: Buffer): { start: number; end: number } | null {
  return scanJsonLine(line, BODY_MODEL_PATH).token;
}
