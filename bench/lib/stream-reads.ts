/**
 * The two long reads of the streaming benchmark, each timed from the request to its last needed byte:
 * a whole LIST (every byte of the body), and a watch delivering events back to back — a streaming list
 * (`sendInitialEvents=true`) of many small objects, read until the bookmark that ends the initial events.
 */
import type { Agent } from 'node:https';
import { fetchOnce, type Target } from './https-client.js';

export interface ReadResult {
  seconds: number;
  bytes: number;
  bytesPerSecond: number;
  /** Watch events (newline-delimited JSON frames) received; 0 for a LIST. */
  events: number;
  eventsPerSecond: number;
  firstByteMs: number;
}

function result(started: number, bytes: number, events: number, firstByteMs: number): ReadResult {
  const seconds = (performance.now() - started) / 1000;
  return { seconds, bytes, bytesPerSecond: bytes / seconds, events, eventsPerSecond: events / seconds, firstByteMs };
}

export async function readList(target: Target, agent: Agent, path: string): Promise<ReadResult> {
  const started = performance.now();
  const res = await fetchOnce({ target, path, agent, keepBytes: 0 });
  if (res.status !== 200) throw new Error(`${target.name} GET ${path}: ${res.status}`);
  return result(started, res.bytes, 0, res.firstByteMs);
}

const END_MARK = Buffer.from('"k8s.io/initial-events-end":"true"');

/** Reads a streaming list until its initial-events-end bookmark; `expected` events must have come. */
export async function readInitialEvents(target: Target, agent: Agent, path: string, expected: number): Promise<ReadResult> {
  const started = performance.now();
  let events = 0;
  let tail: Buffer = Buffer.alloc(0);
  let ended = false;
  const res = await fetchOnce({
    target,
    path,
    agent,
    keepBytes: 0,
    onData(chunk) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) events += 1;
      const boundary = Buffer.concat([tail, chunk.subarray(0, END_MARK.length)]);
      if (boundary.includes(END_MARK) || chunk.includes(END_MARK)) {
        ended = true;
        return false;
      }
      tail = chunk.subarray(Math.max(0, chunk.length - END_MARK.length));
      return true;
    },
  });
  if (res.status !== 200) throw new Error(`${target.name} watch ${path}: ${res.status}`);
  if (!ended) throw new Error(`${target.name} watch ${path}: the stream ended before the initial-events-end bookmark`);
  // The bookmark itself is one of the frames counted.
  const initial = events - 1;
  if (initial < expected) throw new Error(`${target.name} watch ${path}: ${initial} initial events, expected ${expected}`);
  return result(started, res.bytes, initial, res.firstByteMs);
}
