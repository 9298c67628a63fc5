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

export function encodeContinue(position: ContinuePosition): string {
  const json = JSON.stringify({ v: 'meta.k8s.io/v1', rv: position.rv, start: position.start });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** Returns the position, or the apiserver's error text ("continue key is not valid: ..."). */
export function decodeContinue(token: string): ContinuePosition | { error: string } {
  if (!/^[A-Za-z0-9_-]*$/.test(token)) {
    return { error: 'continue key is not valid: illegal base64 data' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (err) {
    return { error: `continue key is not valid: ${(err as Error).message}` };
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
