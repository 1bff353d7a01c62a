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

interface Frame {
  isObject: boolean;
  /** Index in the path of the key this object's keys are compared with; -1 when the object is off the path. */
  level: number;
  keys: Set<string> | null;
  expectKey: boolean;
  /** The key just read matched path[level]; its value comes next. */
  pending: boolean;
}

/**
 * One pass over the raw bytes of a JSON line, tracking only the objects along `path` (from the top-level
 * object): where the string at `path` sits, whether a key repeats in one of those objects, how deep the
 * nesting goes. Keys are compared after unescaping, so `"mod\u0065l"` is `"model"`. The token is located in
 * the bytes, so replacing it rewrites exactly the value that counts, whatever the rest of the line's spelling.
 * Meaningful on lines JSON.parse accepts; on others it only bounds the nesting (it never throws).
 */
export function scanJsonLine(line: Buffer, path: readonly string[]): LineScan {
  const stack: Frame[] = [];
  let duplicateKey: LineScan['duplicateKey'] = null;
  let token: LineScan['token'] = null;
  const n = line.length;
  for (let i = 0; i < n; i++) {
    const c = line[i];
    const top = stack[stack.length - 1];
    if (c === QUOTE) {
      const start = i;
      for (;;) {
        const q = line.indexOf(QUOTE, i + 1);
        if (q === -1) {
          i = n;
          break;
        }
        let slashes = 0;
        for (let j = q - 1; j > start && line[j] === BACKSLASH; j--) slashes++;
        i = q;
        if (slashes % 2 === 0) break;
      }
      const end = i + 1;
      if (!top) continue;
      if (top.isObject && top.expectKey) {
        top.expectKey = false;
        if (top.level >= 0) {
          const key = decodeKey(line, start, end);
          if (top.keys!.has(key)) duplicateKey ??= { key, where: path.slice(0, top.level).join('.') };
          top.keys!.add(key);
          top.pending = key === path[top.level];
        }
      } else if (top.pending) {
        if (top.level === path.length - 1) token = { start, end };
        top.pending = false;
      }
      continue;
    }
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (stack.length >= MAX_LINE_DEPTH) return { tooDeep: true, duplicateKey, token };
      let level = -1;
      if (!top) level = 0;
      else if (top.pending && c === OPEN_OBJ && top.level < path.length - 1) level = top.level + 1;
      if (top) top.pending = false;
      const isObject = c === OPEN_OBJ;
      stack.push({
        isObject,
        level: isObject ? level : -1,
        keys: isObject && level >= 0 ? new Set() : null,
        expectKey: isObject,
        pending: false,
      });
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      stack.pop();
    } else if (c === COMMA) {
      if (top?.isObject) top.expectKey = true;
    } else if (c !== COLON && c > 0x20 && top?.pending) {
      top.pending = false; // a number, true, false or null as the value
    }
  }
  return { tooDeep: false, duplicateKey, token };
}

function decodeKey(line: Buffer, start: number, end: number): string {
  // Keys are short: a loop over them beats a subarray and a search per key (profile: 2 % of an upload).
  let plain = true;
  for (let i = start + 1; i < end - 1; i++) {
    const b = line[i];
    if (b === BACKSLASH || b >= 0x80) {
      plain = false;
      break;
    }
  }
  if (plain) return line.toString('latin1', start + 1, end - 1); // ASCII: latin1 and UTF-8 read it alike
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
