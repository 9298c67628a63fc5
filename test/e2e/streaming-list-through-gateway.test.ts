/**
 * The demo's own data as a streaming list through the gateway: 200 secrets of 256 KiB (about 70 MB of
 * watch events) with sendInitialEvents=true. The simulator produces the initial events only as fast as the
 * gateway takes them (a real apiserver's cacheWatcher blocks the same way), so the stream completes with
 * every ADDED event and the `k8s.io/initial-events-end` bookmark, where a 64 MiB send buffer cap used to
 * cut it off.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

interface WatchLine {
  type: string;
  object: { metadata?: { name?: string; annotations?: Record<string, string> } };
}

/** Reads newline-delimited watch events until `stop` says so; then closes the request. */
function streamUntil(stack: E2EStack, path: string, stop: (e: WatchLine) => boolean): Promise<{ events: WatchLine[]; bytes: number }> {
  const url = new URL(path, stack.gatewayUrl);
  return new Promise((resolve, reject) => {
    const events: WatchLine[] = [];
    let bytes = 0;
    let pending: Buffer[] = [];
    const req = request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, ca: stack.pki.ca.certPem, cert: stack.pki.user.certPem, key: stack.pki.user.keyPem, agent: false },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          let nl: number;
          while ((nl = chunk.indexOf(10)) >= 0) {
            const line = Buffer.concat([...pending, chunk.subarray(0, nl)]);
            pending = [];
            chunk = chunk.subarray(nl + 1);
            const event = JSON.parse(line.toString('utf8')) as WatchLine;
            events.push(event);
            if (stop(event)) {
              req.destroy();
              return resolve({ events, bytes });
            }
          }
          if (chunk.length > 0) pending.push(chunk);
        });
        res.on('end', () => reject(new Error(`the stream ended after ${events.length} events`)));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => (events.length > 0 && req.destroyed ? undefined : reject(err)));
    req.end();
  });
}

describe('a streaming list of the demo data through the gateway', () => {
  let stack: E2EStack;
  before(async () => {
    stack = await startE2EStack({ seed: { secrets: 200, secretSize: 256 * 1024, namespaces: 3, configmaps: 2, pods: 2 } });
  });
  after(async () => stack?.close());

  it('delivers all 200 secrets of 256 KiB and the initial-events-end bookmark (regression: a 64 MiB cap cut it off)', async () => {
    const isEnd = (e: WatchLine): boolean => e.type === 'BOOKMARK' && e.object.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true';
    const { events, bytes } = await streamUntil(
      stack,
      '/api/v1/secrets?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan',
      isEnd,
    );
    const added = events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata?.name);
    assert.equal(added.length, 200);
    assert.equal(new Set(added).size, 200);
    assert.ok(isEnd(events.at(-1)!), 'the last event is the initial-events-end bookmark');
    assert.ok(bytes > 64 * 1024 * 1024, `more than 64 MiB went through: ${bytes}`);
  });
});
