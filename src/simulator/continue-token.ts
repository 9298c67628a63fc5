/**
 * LIST continue tokens shaped like the apiserver's (k8s.io/apiserver/pkg/storage/continue.go): unpadded
 * base64url of `{"v":"meta.k8s.io/v1","rv":<int>,"start":"<key after the list prefix>\u0000"}`. rv = -1
 * marks the "inconsistent" token of a compacted continuation (storage/etcd3/errors.go).
 */

export interface ContinuePosition {
  /** Key relative to the list's key prefix, e.g. `default/secret-7\u0000` (cluster-wide) or `secret-7\u0000`. */
  start: string;
  /** Snapshot resourceVersion; -1 means "continue at the latest". */
  rv: number;
}

/** Go's json quoteChar: the byte as a rune in single quotes, escaped as strconv.Quote escapes it. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\' };
  if (named[c]) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // U+0080–U+009F (controls), U+00A0 (no-break space) and U+00AD (soft hyphen) are not printable.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

/**
 * encoding/json's message when a document cannot even start (what a token of random bytes gets), or
 * undefined for any other syntax error.
 */
function goJsonError(bytes: Buffer): string | undefined {
  const first = bytes.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (first < 0) return 'unexpected end of JSON input';
  const c = bytes[first]!;
  if ('{["-0123456789tfn'.includes(String.fromCharCode(c))) return undefined;
  return `invalid character ${quoteChar(c)} looking for beginning of value`;
}

export function encodeContinue(position: ContinuePosition): string {
  const json = JSON.stringify({ v: 'meta.k8s.io/v1', rv: position.rv, start: position.start });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** Returns the position, or the apiserver's error text ("continue key is not valid: ..."). */
export function decodeContinue(token: string): ContinuePosition | { error: string } {
  if (!/^[A-Za-z0-9_-]*$/.test(token)) {
    return { error: 'continue key is not valid: illegal base64 data' };
  }
  const bytes = Buffer.from(token, 'base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { error: `continue key is not valid: ${goJsonError(bytes) ?? (err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null) return { error: 'continue key is not valid' };
  const { v, rv, start } = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (v !== 'meta.k8s.io/v1') {
    return { error: `continue key is not valid: server does not recognize this encoded version ${String(v ?? '')}` };
  }
  if (typeof rv !== 'number' || !Number.isInteger(rv) || rv === 0) {
    return { error: 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)' };
  }
  if (typeof start !== 'string' || start === '') {
    return { error: 'continue key is not valid: encoded start key empty (version meta.k8s.io/v1)' };
  }
  // Like DecodeContinue's path.Clean check: a start key may not climb out of the list's prefix.
  const relative = start.startsWith('/') ? start.slice(1) : start;
  if (relative.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) {
    return { error: `continue key is not valid: ${start}` };
  }
  return { start: relative, rv };
}
