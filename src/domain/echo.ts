/** The longest piece of a caller's input that an error message repeats back. */
export const MAX_ECHO = 100;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `text` as valid Unicode: a lone UTF-16 surrogate (from the caller, or from cutting a pair in two) becomes
 * U+FFFD. grpc-js percent-encodes a status message with encodeURIComponent, which throws on a lone surrogate:
 * such a message once made an uncaught URIError in the server and left the call hanging (found by test/fuzz).
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

/**
 * A caller's value as an error message quotes it: at most MAX_ECHO characters, control characters shown as
 * `\uXXXX`, valid Unicode. An error that repeats unbounded input is a way to make responses, logs and gRPC
 * trailers (which have a size limit: a 100 KB ID once turned NOT_FOUND into INTERNAL) as large as the attacker
 * likes.
 */
export function echo(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const cut = text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text;
  // eslint-disable-next-line no-control-regex
  return wellFormed(cut).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
