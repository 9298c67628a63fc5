/**
 * watchFiles: notices the kubelet's atomic symlink swap of a ConfigMap volume and a plain in-place
 * write, once per burst of events, and stays quiet when nothing it watches changed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fingerprintFiles, watchFiles } from '../../src/ops/watch-files.js';
import { createConfigMapDir } from './configmap-dir.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

describe('watchFiles', () => {
  const root = mkdtempSync(join(tmpdir(), 'listgate-watch-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('fires once for a ConfigMap update (a ..data symlink swap), after the burst settles', async () => {
    const volume = createConfigMapDir(join(root, 'cm'), { 'listgate.yaml': 'a: 1\n', 'other.yaml': 'x\n' });
    let changes = 0;
    const watcher = watchFiles({ paths: [volume.path('listgate.yaml')], onChange: () => changes++, debounceMs: 100, pollIntervalMs: 0 });
    try {
      volume.write({ 'listgate.yaml': 'a: 2\n', 'other.yaml': 'x\n' });
      volume.write({ 'listgate.yaml': 'a: 3\n', 'other.yaml': 'x\n' });
      await waitFor(() => changes > 0);
      await sleep(250);
      assert.equal(changes, 1, 'two swaps within the debounce are one change');
      assert.equal(readFileSync(volume.path('listgate.yaml'), 'utf8'), 'a: 3\n');
    } finally {
      watcher.close();
    }
  });

  it('fires for an in-place write, and not for a change to a file it does not watch', async () => {
    const dir = join(root, 'plain');
    const volume = createConfigMapDir(dir, { 'unwatched.txt': 'u' });
    const file = join(dir, 'serving.crt');
    writeFileSync(file, 'one');
    let changes = 0;
    const watcher = watchFiles({ paths: [file], onChange: () => changes++, debounceMs: 50, pollIntervalMs: 0 });
    try {
      volume.write({ 'unwatched.txt': 'v' });
      writeFileSync(join(dir, 'scratch'), 'noise');
      await sleep(200);
      assert.equal(changes, 0, 'events in the folder alone are not a change');
      writeFileSync(file, 'two!');
      await waitFor(() => changes === 1);
    } finally {
      watcher.close();
    }
  });

  it('notices by polling a change the events missed, and watches the new set after update()', async () => {
    const a = join(root, 'a.txt');
    const b = join(root, 'b.txt');
    writeFileSync(a, '1');
    writeFileSync(b, '1');
    let changes = 0;
    const watcher = watchFiles({ paths: [a], onChange: () => changes++, debounceMs: 20, pollIntervalMs: 100 });
    try {
      watcher.update([b]);
      writeFileSync(b, '22');
      await waitFor(() => changes === 1);
      assert.notEqual(fingerprintFiles([b]), fingerprintFiles([join(root, 'missing')]));
      assert.equal(fingerprintFiles([join(root, 'missing')]), 'missing');
    } finally {
      watcher.close();
    }
  });
});
