/**
 * `listgate calibrate` against a real kube-apiserver 1.32.6 (etcd 3.5) in a memory cgroup: it settles the
 * server's memory before each round (a forced collection through /debug/pprof, then the memory no longer
 * falling), measures the etcd and watch-cache factors from the memory in use (resident memory less the
 * free heap Go keeps), tells that this server serves consistent LISTs from its cache, prints no factor
 * of zero or below, and never lets the server grow past the budget it was given.
 */
// runs alone: it measures the apiserver's memory per LIST, which other work on the 2 cores skews (its GC falls behind)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { seedSecrets } from '../support/apiserver/cluster-objects.js';
import { startKubeApiserver, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';

const CLI = resolve('dist/src/cli.js');
const GIB = 1024 ** 3;
const BUDGET = 1.5 * GIB;

describe('listgate calibrate on a real kube-apiserver', { timeout: 15 * 60_000 }, () => {
  let kube: KubeApiserver;
  let run: { code: number; stdout: string; stderr: string };
  let baseline = 0;

  before(async () => {
    kube = await startKubeApiserver({ memoryLimitBytes: 6 * GIB });
    // ~49 MB of JSON per LIST: far more than the socket buffers, so a held response stays held.
    await seedSecrets(kube, { namespace: 'default', count: 40, dataBytes: 900 * 1024 });
    baseline = kube.cgroup!.usage();
    kube.cgroup!.resetPeak();
    const args = ['calibrate', '--kubeconfig', kube.adminKubeconfig, '--max-concurrency', '2', '--samples', '3', '--rounds', '2', '--interval', '500ms', '--settle', '30s', '--budget', String(BUDGET)];
    run = await new Promise((done) => {
      execFile(process.execPath, [CLI, ...args], { timeout: 12 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });
  });
  after(async () => {
    await kube?.stop();
  });

  it('prints the etcd and watch-cache factors, in the range measured on 1.32 (CALIBRATION.md), none below zero', () => {
    assert.equal(run.code, 0, run.stderr);
    const doc = parse(run.stdout) as { estimator: { factors: { versions: Record<string, { amplification: { json: { etcd?: number; cache?: number } }; consistentListFromCache?: boolean }> } } };
    const profile = doc.estimator.factors.versions['1.32'];
    assert.ok(profile, run.stdout);
    const { etcd, cache } = profile.amplification.json;
    assert.ok(etcd !== undefined && etcd > 2.5 && etcd < 9, `etcd ${etcd}\n${run.stderr}`);
    assert.ok(cache !== undefined && cache > 1 && cache < 4.5, `cache ${cache}\n${run.stderr}`);
    assert.ok(etcd > cache, 'reading from etcd costs more than serving from the cache');
    assert.equal(profile.consistentListFromCache, true, 'etcd 3.5: consistent LISTs come from the watch cache');
    assert.doesNotMatch(run.stdout, /-\d+(\.\d+)?×|json: \{\}/, 'no negative and no empty factor');
    assert.match(run.stderr, /memory from process_resident_memory_bytes less the free heap Go keeps/);
  });

  it('settled the memory before each step and never let the server grow past its budget', () => {
    assert.doesNotMatch(run.stderr, /no forced collection/, 'the admin may force a collection through /debug/pprof');
    assert.equal(kube.cgroup!.oomKills(), 0);
    assert.ok(kube.cgroup!.peak() - baseline < BUDGET, `peak ${kube.cgroup!.peak()} over a baseline of ${baseline}`);
  });
});
