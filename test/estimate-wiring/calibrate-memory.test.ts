/**
 * The memory `listgate calibrate` measures on a Go apiserver: its resident memory less the free heap Go
 * keeps. After a large LIST the process keeps gigabytes it has freed, and the next LIST reuses them
 * before its resident memory rises: only the memory in use shows what a LIST holds whatever came before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitFactor, type CalibrationStep } from '../../src/cli/calibrate-run.js';
import { MEMORY_METRICS, memoryReadings } from '../../src/cli/calibrate-memory.js';

const GO_METRICS = (rss: number, idle: number, released: number) =>
  [
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${rss}`,
    `go_memstats_heap_idle_bytes ${idle}`,
    `go_memstats_heap_released_bytes ${released}`,
    'go_memstats_heap_inuse_bytes 4e+08',
    '',
  ].join('\n');

describe('what calibrate reads of a Go apiserver', () => {
  it('prefers the memory in use: resident memory less the free heap not given back', () => {
    const r = memoryReadings(GO_METRICS(5.8e9, 4.5e9, 0.5e9));
    assert.equal(r.resident_in_use, 1.8e9);
    assert.equal(r.process_resident_memory_bytes, 5.8e9);
    assert.equal(MEMORY_METRICS.find((m) => r[m] !== undefined), 'resident_in_use');
  });

  it('sees a LIST served from kept free heap, where the resident memory does not move', () => {
    // Settled after a storm: 4 GB free and kept. A LIST then allocates 1 GB out of it.
    const before = memoryReadings(GO_METRICS(5.8e9, 4.5e9, 0.5e9));
    const during = memoryReadings(GO_METRICS(5.8e9, 3.5e9, 0.5e9));
    assert.equal(during.process_resident_memory_bytes! - before.process_resident_memory_bytes!, 0);
    assert.equal(during.resident_in_use! - before.resident_in_use!, 1e9);
  });

  it('falls back to the resident memory when the Go heap metrics are missing, and to nothing without either', () => {
    const r = memoryReadings('process_resident_memory_bytes 123\n');
    assert.equal(r.resident_in_use, undefined);
    assert.equal(MEMORY_METRICS.find((m) => r[m] !== undefined), 'process_resident_memory_bytes');
    assert.deepEqual(memoryReadings('apiserver_storage_objects{resource="secrets"} 3\n'), {});
  });

  it('counts released heap as given back: idle below released never adds memory', () => {
    assert.equal(memoryReadings(GO_METRICS(2e9, 1e9, 1.2e9)).resident_in_use, 2e9);
  });

  it('fits no factor from steps that did not grow', () => {
    const step = (growth: number): CalibrationStep => ({ mode: 'cache', path: '/', concurrency: 1, responseBytes: 1e8, baseline: 1e9, peak: 1e9 + growth, growth, factor: growth / 1e8 });
    assert.equal(fitFactor([step(0), step(-1e7)]), undefined);
    assert.equal(fitFactor([step(2e8), step(2.2e8)]), 2.1);
  });
});
