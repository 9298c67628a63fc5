/**
 * An offloaded LIST served as one streaming list upstream (a watch with sendInitialEvents=true): each
 * ADDED event's object becomes an element of the list as it arrives, and the bookmark annotated
 * `k8s.io/initial-events-end` closes it with its resourceVersion; the watch is then dropped. The
 * apiserver sends the objects one at a time from its watch cache, so it holds about one object.
 * Elements are the objects as the apiserver encoded them, sliced out of their event lines without a copy
 * (one line, one object: the gateway holds one object at a time), minus the `kind` and `apiVersion` a typed object
 * carries in a watch event and not in a list (a custom resource keeps them in both; the two are told
 * apart by their encoding: a typed object's begins with `kind`, an unstructured one's keys are sorted).
 * The list's kind is the end bookmark's list blueprint (1.32–1.33), else the objects' kind + `List`; its
 * metadata comes last, when the resourceVersion is known. With nothing sent yet, a streaming list that
 * fails (an ERROR event, a refusal, an early end) gives way to pages (`fallback`); past that the
 * response is broken off.
 */
import type { Lease } from '../admit/budget.js';
import { watchTarget } from './offload-eligibility.js';
import { readSmall, type OffloadRun, type PiecesEnd } from './offload-run.js';
import type { UpstreamResponse } from './upstream-client.js';

const ADDED = Buffer.from('{"type":"ADDED","object":');
const OPEN_BRACE = Buffer.from('{');
/** The bytes read to tell an event's type, and a typed object's `kind` and `apiVersion`. */
const PEEK_BYTES = 1024;
const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;
/** An event line longer than this is no object the apiserver stores (etcd refuses values past 1.5 MiB). */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
const TYPED = /^\{"kind":"((?:[^"\\]|\\.)*)","apiVersion":"((?:[^"\\]|\\.)*)",/;
const UNSTRUCTURED = /^\{"apiVersion":"((?:[^"\\]|\\.)*)","kind":"((?:[^"\\]|\\.)*)"/;
const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';
const LIST_BLUEPRINT = 'kubernetes.io/initial-events-list-blueprint';

export type WatchEnd = PiecesEnd | { fallback: string };

class WatchFailure extends Error {}

interface Bookmark {
  resourceVersion: string;
  kind: string | undefined;
  apiVersion: string | undefined;
}

/** The end bookmark's facts, or undefined for any other bookmark. */
function readBookmark(line: Buffer): Bookmark | undefined {
  const event = JSON.parse(line.toString('utf8')) as { object?: { kind?: string; apiVersion?: string; metadata?: { resourceVersion?: string; annotations?: Record<string, string> } } };
  const meta = event.object?.metadata;
  if (meta?.annotations?.[INITIAL_EVENTS_END] !== 'true') return undefined;
  let kind = event.object?.kind === undefined ? undefined : `${event.object.kind}List`;
  let apiVersion = event.object?.apiVersion;
  const blueprint = meta.annotations[LIST_BLUEPRINT];
  if (blueprint) {
    try {
      const list = JSON.parse(Buffer.from(blueprint, 'base64').toString('utf8')) as { kind?: string; apiVersion?: string };
      kind = list.kind ?? kind;
      apiVersion = list.apiVersion ?? apiVersion;
    } catch {
      // an unreadable blueprint: the object's kind stands in
    }
  }
  return { resourceVersion: meta.resourceVersion ?? '', kind, apiVersion };
}

const json = (s: string | undefined) => JSON.stringify(s ?? '');

/** The first PEEK_BYTES of a line held as parts (copied only from as many parts as that takes). */
function peekOf(parts: readonly Buffer[]): Buffer {
  if (parts[0]!.length >= PEEK_BYTES) return parts[0]!.subarray(0, PEEK_BYTES);
  const taken: Buffer[] = [];
  let n = 0;
  for (const p of parts) {
    if (n >= PEEK_BYTES) break;
    taken.push(p);
    n += p.length;
  }
  return Buffer.concat(taken).subarray(0, PEEK_BYTES);
}

export async function serveWatch(run: OffloadRun, lease: Lease | undefined): Promise<WatchEnd> {
  const { ctx, out, tally, signal } = run;
  tally.mode = 'watch';
  tally.pieces += 1;
  let res: UpstreamResponse | undefined;
  let headers: string[] = [];
  let listKind: { kind: string; apiVersion: string } | undefined;

  /**
   * One object as a list item: the bytes [from, to) of the event line's parts (the chunks it arrived in,
   * never copied), its typed `kind` and `apiVersion` left out. `head` is the object's first KiB.
   */
  const element = (parts: readonly Buffer[], from: number, to: number, head: string): void => {
    const typed = TYPED.exec(head);
    if (!listKind) {
      const unstructured = typed ? undefined : UNSTRUCTURED.exec(head);
      const [kind, apiVersion] = typed ? [typed[1]!, typed[2]!] : unstructured ? [unstructured[2]!, unstructured[1]!] : ['List', 'v1'];
      listKind = { kind: `${kind}List`, apiVersion };
    }
    if (!out.opened) out.open(headers, `{"kind":${json(listKind.kind)},"apiVersion":${json(listKind.apiVersion)},"items":`);
    tally.items += 1;
    let first = true;
    if (typed) {
      out.element(OPEN_BRACE, true);
      first = false;
      from += Buffer.byteLength(typed[0]);
    }
    let at = 0;
    for (const part of parts) {
      const start = Math.max(from - at, 0);
      const end = Math.min(to - at, part.length);
      if (end > start) {
        out.element(part.subarray(start, end), first);
        first = false;
      }
      at += part.length;
    }
  };

  /** One event line, as the parts it arrived in; true once the end bookmark has closed the list. */
  const event = (parts: readonly Buffer[]): boolean => {
    const length = parts.reduce((n, p) => n + p.length, 0);
    if (length === 0) return false;
    const last = parts.findLast((p) => p.length > 0)!;
    const peek = peekOf(parts);
    if (peek.subarray(0, ADDED.length).equals(ADDED) && last[last.length - 1] === CLOSE_BRACE) {
      element(parts, ADDED.length, length - 1, peek.subarray(ADDED.length).toString('utf8'));
      return false;
    }
    const line = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const type = /^\{"type":"([A-Z]+)"/.exec(line.subarray(0, 32).toString('latin1'))?.[1];
    if (type === 'ADDED') {
      const object = Buffer.from(JSON.stringify((JSON.parse(line.toString('utf8')) as { object: unknown }).object));
      element([object], 0, object.length, object.subarray(0, PEEK_BYTES).toString('utf8'));
      return false;
    }
    if (type === 'ERROR') {
      const status = (JSON.parse(line.toString('utf8')) as { object?: { code?: number; message?: string } }).object;
      throw new WatchFailure(`the streaming list was ended with an error (${status?.code ?? '?'}: ${String(status?.message ?? '').slice(0, 200)})`);
    }
    if (type !== 'BOOKMARK') return false;
    const end = readBookmark(line);
    if (!end) return false;
    const metadata = `"metadata":{"resourceVersion":${json(end.resourceVersion)}}`;
    if (out.opened) out.close(`,${metadata}}`);
    else {
      out.open(headers, `{"kind":${json(end.kind)},"apiVersion":${json(end.apiVersion)},${metadata},"items":`);
      out.close('}');
    }
    return true;
  };

  try {
    try {
      res = await run.request(watchTarget(ctx.classification.target.url, ctx.classification.listOptions));
    } catch (err) {
      if (signal.aborted) return 'aborted';
      throw new WatchFailure(`the streaming list could not be asked for: ${err instanceof Error ? err.message : String(err)}`);
    }
    headers = run.clientHeaders(res);
    if (res.statusCode !== 200) throw new WatchFailure(`the streaming list was answered ${res.statusCode}: ${(await readSmall(res)).slice(0, 200)}`);
    let parts: Buffer[] = [];
    let pending = 0;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        let from = 0;
        for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, from)) {
          const line = [...parts, chunk.subarray(from, nl)];
          parts = [];
          pending = 0;
          from = nl + 1;
          if (event(line)) return 'complete';
        }
        if (from < chunk.length) {
          // The chunk itself, not a copy: a stream never reuses a chunk it has handed on (pipe relies on it too).
          parts.push(chunk.subarray(from));
          pending += chunk.length - from;
          if (pending > MAX_LINE_BYTES) throw new WatchFailure('an event of the streaming list is larger than any stored object');
        }
        await out.drained();
      }
    } catch (err) {
      if (signal.aborted) return 'aborted';
      if (err instanceof WatchFailure) throw err;
      throw new WatchFailure(`the streaming list broke off: ${err instanceof Error ? err.message : String(err)}`);
    }
    throw new WatchFailure('the streaming list ended before its initial events did');
  } catch (err) {
    if (signal.aborted) return 'aborted';
    const why = err instanceof Error ? err.message : String(err);
    if (!out.sent) {
      out.discard();
      return { fallback: why };
    }
    tally.failure = why;
    ctx.outcome.error = 'offload_broken';
    ctx.log.warn({ why }, 'offloaded LIST broken off: the client sees a failed body');
    out.abandon();
    return 'broken';
  } finally {
    // The watch goes on after its initial events: dropped once the list is complete (or given up).
    res?.destroy();
    lease?.release();
  }
}
