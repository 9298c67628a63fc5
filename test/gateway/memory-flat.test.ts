/**
 * Memory stays flat while a huge response streams through: the gateway runs in a child process, a real
 * HTTPS upstream generates 400 MiB chunk by chunk, a client a little slower than the upstream reads and
 * discards it (so backpressure has to hold the upstream back), and the child's own
 * process_resident_memory_bytes, sampled from its /metrics during the transfer, must not grow by more
 * than 64 MiB. The byte count must arrive intact.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { testConfigDocument } from '../support/gateway-fixture.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

const TOTAL_BYTES = 400 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');
const CLIENT_BYTES_PER_SECOND = 120 * 1024 * 1024;
const MAX_GROWTH_BYTES = 64 * 1024 * 1024;

async function residentMemory(opsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const match = /^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  assert.ok(match, 'process_resident_memory_bytes missing from /metrics');
  return Number(match[1]);
}

/** Writes TOTAL_BYTES in CHUNK-sized writes, waiting for 'drain' whenever the socket pushes back. */
function streamHuge(res: import('node:http').ServerResponse): void {
  let sent = 0;
  const pump = () => {
    while (sent < TOTAL_BYTES) {
      const n = Math.min(CHUNK.length, TOTAL_BYTES - sent);
      sent += n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

describe('memory under a 400 MiB response', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let child: ChildProcessWithoutNullStreams;
  let ports: { port: number; opsPort: number };

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (req.url?.startsWith('/api/v1/secrets')) streamHuge(res);
      else res.end('{"kind":"Status"}');
    });
    const configPath = join(pki.dir, 'listgate.yaml');
    writeFileSync(configPath, stringify(testConfigDocument({ pki, upstreamUrl: upstream.url, logLevel: 'warn' })));
    const entry = fileURLToPath(new URL('../support/gateway-child.js', import.meta.url));
    child = spawn(process.execPath, [entry, configPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.on('data', (c: Buffer) => process.stderr.write(c));
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`gateway child exited with ${code}`)));
    });
    ports = JSON.parse(firstLine) as { port: number; opsPort: number };
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await upstream.close();
    pki.cleanup();
  });

  /** GETs through the gateway, reading at most CLIENT_BYTES_PER_SECOND; resolves with the byte count. */
  const slowDownload = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: ports.port, path, ca: pki.gatewayCa.certPem, agent: false }, (res) => {
        let bytes = 0;
        const started = performance.now();
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          const ahead = bytes / CLIENT_BYTES_PER_SECOND - (performance.now() - started) / 1000;
          if (ahead > 0.005) {
            res.pause();
            setTimeout(() => res.resume(), ahead * 1000);
          }
        });
        res.on('end', () => (res.complete ? resolve(bytes) : reject(new Error('response ended incomplete'))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });

  it('relays every byte with the gateway RSS growing less than 64 MiB', async () => {
    await slowDownload('/api/v1/namespaces/default/configmaps'); // warm up TLS and the pools
    const baseline = Math.max(await residentMemory(ports.opsPort), await residentMemory(ports.opsPort));

    const samples: number[] = [];
    let transferring = true;
    const sampling = (async () => {
      while (transferring) {
        samples.push(await residentMemory(ports.opsPort));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const started = performance.now();
    const received = await slowDownload('/api/v1/secrets');
    const seconds = (performance.now() - started) / 1000;
    transferring = false;
    await sampling;

    const peak = Math.max(...samples);
    const growth = peak - baseline;
    const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(
      `# memory-flat: ${mib(received)} MiB in ${seconds.toFixed(1)} s (${mib(received / seconds)} MiB/s); ` +
        `gateway RSS baseline ${mib(baseline)} MiB, peak ${mib(peak)} MiB, growth ${mib(growth)} MiB over ${samples.length} samples`,
    );
    assert.equal(received, TOTAL_BYTES);
    assert.ok(samples.length >= 5, `only ${samples.length} samples taken during the transfer`);
    assert.ok(growth < MAX_GROWTH_BYTES, `gateway RSS grew by ${mib(growth)} MiB`);
    // Flat, not creeping: the second half of the transfer holds no more than the first half did.
    const half = Math.floor(samples.length / 2);
    const creep = Math.max(...samples.slice(half)) - Math.max(...samples.slice(0, half));
    assert.ok(creep < 16 * 1024 * 1024, `gateway RSS kept growing: +${mib(creep)} MiB in the second half`);
  });
});
