/**
 * The patch formats PATCH accepts (handlers/patch.go): JSON merge patch (RFC 7386), strategic merge patch
 * treated as a merge patch (our types have no merge keys that matter to the tests and the demo), and JSON
 * patch (RFC 6902). Pure functions over JSON values; errors are thrown with the message to report.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export class PatchError extends Error {
  constructor(message: string, readonly code: 400 | 422) {
    super(message);
  }
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${path}`, 400);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, tokens: string[], path: string): [Record<string, unknown> | unknown[], string] {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`, 422);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(`doc is missing path: "${path}": missing value`, 422);
  return [cur, tokens[tokens.length - 1]!];
}

function getAt(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const t of pointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`, 422);
  }
  return cur;
}

function removeAt(doc: unknown, path: string): unknown {
  const [parent, key] = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw new PatchError(`doc is missing path: "${path}": missing value`, 422);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw new PatchError(`doc is missing path: "${path}": missing value`, 422);
  const value = parent[key];
  delete parent[key];
  return value;
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return structuredClone(value);
  const [parent, key] = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new PatchError(`doc is missing path: "${path}": missing value`, 422);
    if (replace) parent[i] = structuredClone(value);
    else parent.splice(i, 0, structuredClone(value));
  } else {
    if (replace && !(key in parent)) throw new PatchError(`doc is missing key: ${path}: missing value`, 422);
    parent[key] = structuredClone(value);
  }
  return doc;
}

/** RFC 6902 add, remove, replace, move, copy, test. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch', 400);
  let doc = structuredClone(target);
  for (const op of ops) {
    if (!isObject(op) || typeof op['op'] !== 'string' || typeof op['path'] !== 'string') {
      throw new PatchError('json patch operation is missing op or path', 400);
    }
    const path = op['path'];
    switch (op['op']) {
      case 'add': doc = addAt(doc, path, op['value'], false); break;
      case 'replace': doc = addAt(doc, path, op['value'], true); break;
      case 'remove': removeAt(doc, path); break;
      case 'move': {
        const value = removeAt(doc, String(op['from']));
        doc = addAt(doc, path, value, false);
        break;
      }
      case 'copy': doc = addAt(doc, path, getAt(doc, String(op['from'])), false); break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op['value'])) {
          throw new PatchError(`testing value ${path} failed: test failed`, 422);
        }
        break;
      default:
        throw new PatchError(`Unexpected kind: ${op['op']}`, 400);
    }
  }
  return doc;
}
