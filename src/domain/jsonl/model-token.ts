const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;

const BODY = Buffer.from('"body"');
const MODEL = Buffer.from('"model"');

/**
 * Where the `body.model` string token (quotes included) sits in the raw bytes of a JSON line, or null when it
 * cannot be told without decoding (escaped keys and the like: the caller then re-serialises the line instead).
 * Run only on lines JSON.parse has accepted, so the scanner need not validate; it only tracks nesting and keys.
 * Like JSON.parse, a repeated key counts at its last occurrence.
 */
export function findModelToken(line: Buffer): { start: number; end: number } | null {
  let depth = 0;
  let inBody = false; // inside the object that is the value of the top-level "body"
  let bodyDepth = -1;
  let found: { start: number; end: number } | null = null;
  // After a key at depth 1 or 2: which one it was, so the next value can be recognised.
  let pendingKey: 'body' | 'model' | 'other' | null = null;
  let expectKey = false;
  const n = line.length;
  for (let i = 0; i < n; i++) {
    const c = line[i];
    if (c === QUOTE) {
      const start = i;
      for (i++; i < n; i++) {
        const d = line[i];
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
      const end = i + 1;
      if (expectKey && (depth === 1 || (inBody && depth === bodyDepth))) {
        const isBodyKey = depth === 1 && equalsAt(line, start, end, BODY);
        const isModelKey = inBody && depth === bodyDepth && equalsAt(line, start, end, MODEL);
        pendingKey = isBodyKey ? 'body' : isModelKey ? 'model' : 'other';
        expectKey = false;
      } else if (pendingKey === 'model') {
        found = { start, end };
        pendingKey = null;
      } else {
        pendingKey = null;
      }
      continue;
    }
    if (c === OPEN_OBJ) {
      depth++;
      if (pendingKey === 'body' && depth === 2) {
        inBody = true;
        bodyDepth = 2;
      }
      pendingKey = null;
      expectKey = true;
    } else if (c === CLOSE_OBJ) {
      if (inBody && depth === bodyDepth) inBody = false;
      depth--;
      expectKey = false;
    } else if (c === OPEN_ARR) {
      depth++;
      pendingKey = null;
      expectKey = false;
    } else if (c === CLOSE_ARR) {
      depth--;
    } else if (c === COMMA) {
      // A comma inside an object introduces a key; the enclosing container decides, and only depths 1 and the
      // body's matter, where containers are objects whenever keys are expected.
      expectKey = depth === 1 || (inBody && depth === bodyDepth);
      pendingKey = null;
    } else if (c === COLON) {
      // keep pendingKey for the value that follows
    } else if (c > 0x20 && pendingKey !== null && pendingKey !== 'body') {
      pendingKey = null; // a number, true, false or null as the value
    }
  }
  return found;
}

function equalsAt(buf: Buffer, start: number, end: number, token: Buffer): boolean {
  return end - start === token.length && buf.compare(token, 0, token.length, start, end) === 0;
}
