/**
 * The configuration the ConfigMap carries: it passes `listgate check-config` (the CLI itself), it keeps
 * every key of the documented example (so a new section of the example shows up here as a failing test
 * until the deployment decides its value), and the control-plane copy differs from the base only where
 * the topology does (the upstream).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { keyPaths } from './support/config-keys.js';
import { DEPLOY, REPO, type KubeObject } from './support/kustomize.js';
import { renderAll, type Rendering } from './support/variants.js';

/** Keys the example shows that the deployment leaves out on purpose, and why. */
const LEFT_OUT: Record<string, string> = {
  'upstream.clientCertFile': 'the gateway authenticates upstream with its ServiceAccount token (upstream.tokenFile)',
  'upstream.clientKeyFile': 'the gateway authenticates upstream with its ServiceAccount token (upstream.tokenFile)',
};
/** Keys one file leaves out on purpose, and why. */
const LEFT_OUT_OF: Record<string, Record<string, string>> = {
  'base/listgate.yaml': {
    'identity.requestHeader.clientCertFile': 'the in-front topology impersonates: no front-proxy certificate',
    'identity.requestHeader.clientKeyFile': 'the in-front topology impersonates: no front-proxy certificate',
  },
};
/** Keys the deployment sets that the example only shows in a comment. */
const ADDED: Record<string, string> = {
  'upstream.tokenFile': 'the ServiceAccount token, rotated by the kubelet',
};

function checkConfig(file: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, 'dist/src/cli.js'), 'check-config', '--skip-files', file], (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

const readYaml = async (path: string) => parse(await readFile(path, 'utf8')) as unknown;

describe('the deployed configuration', () => {
  let renderings: Rendering[];
  let dir: string;
  before(async () => {
    renderings = await renderAll();
    dir = await mkdtemp(join(tmpdir(), 'listgate-deploy-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const configText = (objects: KubeObject[]) =>
    (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'listgate-config')!.data as Record<string, string>)['listgate.yaml']!;

  it('passes listgate check-config in every rendering', async () => {
    const texts = new Map<string, string>();
    for (const { name, objects } of renderings) if (!texts.has(configText(objects))) texts.set(configText(objects), name);
    assert.ok(texts.size >= 5, 'each topology and mode has its own configuration');
    const results = await Promise.all(
      [...texts].map(async ([text, name], i) => {
        const file = join(dir, `rendering-${i}.yaml`);
        await writeFile(file, text);
        return { name, ...(await checkConfig(file)) };
      }),
    );
    for (const { name, code, out } of results) {
      assert.equal(code, 0, `${name}: ${out}`);
      assert.match(out, /OK/);
    }
  });

  it('is refused by check-config when broken (the check can fail)', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, configText(renderings[0]!.objects).replace(/^ {2}mode: \w+$/m, '  mode: requestheader'));
    const { code, out } = await checkConfig(file);
    assert.equal(code, 1);
    assert.match(out, /identity\.mode: must be one of/);
  });

  it('has every key of docs/listgate.example.yaml, and only keys the schema knows', async () => {
    const schema = (await readYaml(join(REPO, 'docs/listgate.schema.json'))) as Parameters<typeof keyPaths>[1];
    const example = new Set(keyPaths(await readYaml(join(REPO, 'docs/listgate.example.yaml')), schema));
    for (const file of ['base/listgate.yaml', 'overlays/control-plane/listgate.yaml']) {
      const deployed = new Set(keyPaths(await readYaml(join(DEPLOY, file)), schema));
      const missing = [...example].filter((k) => !deployed.has(k) && !(k in LEFT_OUT) && !(k in (LEFT_OUT_OF[file] ?? {})));
      const extra = [...deployed].filter((k) => !example.has(k) && !(k in ADDED));
      assert.deepEqual(missing, [], `deploy/${file} lacks keys of the example: decide their values`);
      assert.deepEqual(extra, [], `deploy/${file} has keys the example does not show`);
    }
  });

  it('differs between the topologies only in the upstream, the budget, the adaptive budget (on beside one apiserver) and the identity mode', async () => {
    type Doc = {
      upstream: { server?: string };
      admission: { budget?: string; adaptive: { enabled?: boolean; ceiling?: string } };
      identity: { mode: string; requestHeader: Record<string, unknown> };
    };
    const base = (await readYaml(join(DEPLOY, 'base/listgate.yaml'))) as Doc;
    const controlPlane = (await readYaml(join(DEPLOY, 'overlays/control-plane/listgate.yaml'))) as Doc;
    assert.equal(base.upstream.server, 'https://kubernetes.default.svc:443');
    assert.equal(controlPlane.upstream.server, 'https://127.0.0.1:6443');
    assert.equal(base.admission.adaptive.enabled, false, 'behind the Service, /metrics comes from any apiserver');
    assert.equal(controlPlane.admission.adaptive.enabled, true, 'beside its apiserver, the gateway reads that one');
    // In front (managed clusters): impersonation; beside the apiserver, whose flags can be set: requestHeader.
    assert.equal(base.identity.mode, 'impersonate');
    assert.equal(controlPlane.identity.mode, 'requestHeader');
    const headerNames = (d: Doc) => Object.fromEntries(Object.entries(d.identity.requestHeader).filter(([k]) => k.endsWith('Headers') || k.endsWith('Prefixes')));
    assert.deepEqual(headerNames(base), headerNames(controlPlane), 'the header names stay ready for a switch to requestHeader');
    const common = (d: Doc) => ({
      ...d,
      upstream: { ...d.upstream, server: undefined },
      admission: { ...d.admission, budget: undefined, adaptive: { ...d.admission.adaptive, enabled: undefined, ceiling: undefined } },
      identity: undefined,
    });
    assert.deepEqual(common(controlPlane), common(base));
  });
});
