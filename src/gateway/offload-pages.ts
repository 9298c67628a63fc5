/**
 * An offloaded LIST served as consecutive upstream pages: page k+1 is asked (with page k's continue
 * token) only after page k has been read and its elements handed to the client, so the apiserver holds
 * one page at a time; each page holds a lease of its own, from before it is asked until its body ends.
 * The first page's envelope opens the list (its kind, apiVersion, the snapshot's resourceVersion, a
 * Table's column definitions); every page's elements follow, in order; the list closes when a page
 * carries no continue token. Failure rules:
 *   - the first page answered with an error (403, 404, a bad selector…): the client gets that answer;
 *   - a later page answered with an error (410 when its continue token expired with an etcd compaction),
 *     or any page broke off mid-body: with nothing sent yet, the list starts over from its first page (at
 *     most MAX_RESTARTS times, then a 503 Status that says why); with something sent, the response is
 *     broken off, so the client sees a failed body, never a silently short list;
 *   - the client leaves: the page being read is dropped and its lease released.
 */
import { isLease } from '../admit/offload-admission.js';
import type { Lease } from '../admit/budget.js';
import { GatewayError } from '../errors.js';
import { writeStatus } from '../k8s/status.js';
import { JsonListSplitter } from './json-list-splitter.js';
import { listEnvelopeOf } from './list-envelope.js';
import { pageTarget } from './offload-eligibility.js';
import { readSmall, type OffloadRun, type PiecesEnd } from './offload-run.js';
import type { UpstreamResponse } from './upstream-client.js';

export const MAX_RESTARTS = 2;

/** What went wrong with a page, and whether the list may start over for it (nothing sent yet). */
class PageFailure extends Error {
  constructor(
    message: string,
    readonly restartable: boolean,
  ) {
    super(message);
  }
}

function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === 'string') return status.message.slice(0, 300);
  } catch {
    // not a Status
  }
  return body.slice(0, 120);
}

/**
 * `first`: the first page's admission (its lease, or none when it needed none) when it was granted as the
 * request's; without it, the first page asks for its lease like the others.
 */
export async function servePages(run: OffloadRun, first?: { lease: Lease | undefined }): Promise<PiecesEnd> {
  const { ctx, out, tally, signal } = run;
  const grant = ctx.offload;
  let lease: Lease | undefined = first?.lease;
  let leased = first !== undefined;
  let page = 0;
  let token: string | undefined;
  let opening: string | undefined;
  let headers: string[] = [];
  tally.mode = 'pages';

  /** Reads one page into the stitched response; returns its continue token. */
  const readPage = async (res: UpstreamResponse): Promise<string | undefined> => {
    const splitter = new JsonListSplitter({
      element(slice, firstSlice) {
        if (!out.opened) {
          // The list opens with the first page's envelope, once its array has begun.
          opening ??= listEnvelopeOf(`${splitter.headText()}[]}`, splitter.key()!).prefix;
          out.open(headers, opening);
        }
        if (firstSlice) tally.items += 1;
        out.element(slice, firstSlice);
      },
    });
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        splitter.write(chunk);
        await out.drained();
      }
      splitter.end();
    } catch (err) {
      if (signal.aborted) throw err;
      throw new PageFailure(`page ${page + 1} broke off: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    const envelope = listEnvelopeOf(splitter.envelopeText(), splitter.key() ?? 'items');
    if (page === 0) opening ??= envelope.prefix;
    if (!out.opened) out.open(headers, opening!);
    if (envelope.continue === undefined) out.close(envelope.suffix);
    return envelope.continue;
  };

  try {
    for (;;) {
      if (!leased) {
        run.waiting(1);
        const got = await grant.nextLease(signal).finally(() => run.waiting(-1));
        if (!isLease(got)) {
          if (got.refused === 'aborted') return 'aborted';
          throw new PageFailure(got.message, false);
        }
        lease = got;
      }
      leased = false;
      tally.pieces += 1;
      // The page's lease is held from before it is asked for until its body has ended, however it ends.
      try {
        let res: UpstreamResponse;
        try {
          res = await run.request(pageTarget(ctx.classification.target.url, grant.form, { limit: grant.limit, continue: token }));
        } catch (err) {
          if (signal.aborted) return 'aborted';
          throw new PageFailure(`page ${page + 1} could not be asked for: ${err instanceof Error ? err.message : String(err)}`, true);
        }
        if (page === 0) headers = run.clientHeaders(res);
        if (res.statusCode !== 200) {
          const body = await readSmall(res);
          if (page === 0 && !out.sent) {
            // The apiserver's own answer to what the client asked (403, 404, 400…): relayed as it is.
            ctx.outcome.code = res.statusCode ?? 502;
            ctx.exchange.res.writeHead(ctx.outcome.code, run.clientHeaders(res)).end(body);
            tally.failure = `the first page was answered ${res.statusCode}`;
            return 'answered';
          }
          throw new PageFailure(`page ${page + 1} was answered ${res.statusCode}: ${statusMessage(body)}`, true);
        }
        token = await readPage(res);
      } finally {
        lease?.release();
        lease = undefined;
      }
      if (token === undefined) return 'complete';
      page += 1;
    }
  } catch (err) {
    if (signal.aborted) return 'aborted';
    const failure = err instanceof PageFailure ? err : new PageFailure(err instanceof Error ? err.message : String(err), false);
    if (!out.sent && failure.restartable && tally.restarts < MAX_RESTARTS) {
      // Nothing has reached the client: the list starts over from a new snapshot.
      ctx.log.info({ offload: { restart: tally.restarts + 1, why: failure.message } }, 'offloaded LIST starts over from its first page');
      out.discard();
      tally.restarts += 1;
      tally.items = 0;
      return servePages(run);
    }
    tally.failure = failure.message;
    if (out.sent) {
      ctx.outcome.error = 'offload_broken';
      ctx.log.warn({ why: failure.message }, 'offloaded LIST broken off: the client sees a failed body');
      out.abandon();
      return 'broken';
    }
    const refusal = new GatewayError('offload_failed', { detail: failure.message }, { details: { retryAfterSeconds: 1 } });
    ctx.outcome.error = refusal.code;
    ctx.outcome.code = refusal.httpStatus;
    writeStatus(ctx.exchange.res, refusal.toStatus(), { ...refusal.headers, 'Audit-Id': ctx.id });
    return 'answered';
  }
}
