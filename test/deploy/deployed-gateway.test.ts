/**
 * The deployed configuration, run: `listgate serve` with the in-front overlay's ConfigMap content — the
 * pod's file paths mapped onto a development PKI, the upstream pointed at the apiserver simulator, the
 * ports on loopback, nothing else changed — in front of the simulator, which lets the gateway's
 * ServiceAccount (the token user) impersonate as the identity-impersonate component's RBAC does.
 * Clients reach it with deploy/clients/kubeconfig.yaml filled in as the operations guide says, and the
 * apiserver sees them, not the gateway.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { pkiPaths } from '../../src/certs/dev-pki.js';
import { DEMO_TOKEN_USER, startDemoStack, type DemoStack } from '../../src/cli/demo-stack.js';
import { createLogger } from '../../src/log.js';
import { configOf, DEPLOY, REPO, renderOverlay, runKubectl, theObject } from './support/kustomize.js';

/** `${NAME}` replaced as envsubst does; every variable must be given. */
function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`the template uses \${${name}}, which the guide does not set`);
    return value;
  });
}

/** Every file path in the document mapped through `files`; a path the map lacks is an error. */
function mapFiles(value: unknown, files: Record<string, string>): unknown {
  if (typeof value === 'string' && /^\/(etc|var)\//.test(value)) {
    if (!(value in files)) throw new Error(`no test file for ${value}`);
    return files[value];
  }
  if (Array.isArray(value)) return value.map((v) => mapFiles(v, files));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapFiles(v, files)]));
  return value;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('a gateway running the deployed configuration', () => {
  let dir: string;
  let stack: DemoStack;
  let gateway: ChildProcess;
  let ports: { port: number; opsPort: number };
  let token: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'listgate-deployed-'));
    stack = await startDemoStack({
      dir,
      gatewayPort: 0,
      upstreamPort: 0,
      opsPort: 0,
      logLevel: 'silent',
      seed: { secrets: 5, secretSize: 1024, namespaces: 2, configmaps: 2, pods: 1 },
      oomLimitBytes: undefined,
      watchList: true,
      impersonators: [DEMO_TOKEN_USER.name],
      logger: createLogger({ level: 'silent' }),
    });
    token = (parse(await readFile(stack.tokenKubeconfig, 'utf8')) as { users: { user: { token: string } }[] }).users[0]!.user.token;
    await writeFile(join(dir, 'account-token'), `${token}\n`);
    const pki = (name: Parameters<typeof pkiPaths>[1]) => pkiPaths(join(dir, 'pki'), name);
    const config = mapFiles(configOf(await renderOverlay('in-front')), {
      '/etc/listgate/tls/tls.crt': pki('gateway').cert,
      '/etc/listgate/tls/tls.key': pki('gateway').key,
      '/etc/listgate/tls/ca.crt': pki('ca').cert,
      '/etc/listgate/client-ca/ca.crt': pki('ca').cert,
      '/etc/listgate/front-proxy/tls.crt': pki('frontProxyClient').cert,
      '/etc/listgate/front-proxy/tls.key': pki('frontProxyClient').key,
      '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt': pki('ca').cert,
      '/var/run/secrets/kubernetes.io/serviceaccount/token': join(dir, 'account-token'),
    }) as Record<string, Record<string, unknown>>;
    config.upstream!.server = stack.upstreamUrl;
    config.listen = { address: '127.0.0.1', port: 0 };
    config.ops = { address: '127.0.0.1', port: 0 };
    await writeFile(join(dir, 'deployed.yaml'), stringify(config));

    gateway = spawn(process.execPath, [join(REPO, 'dist/src/cli.js'), 'serve', '--config', join(dir, 'deployed.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    ports = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`listgate serve did not start:\n${out}`)), 20_000);
      const read = (chunk: Buffer) => {
        out += chunk.toString();
        for (const line of out.split('\n')) {
          if (!line.includes('"listgate serving"')) continue;
          clearTimeout(timer);
          resolve(JSON.parse(line) as { port: number; opsPort: number });
        }
      };
      gateway.stdout!.on('data', read);
      gateway.stderr!.on('data', read);
      gateway.once('exit', (code) => reject(new Error(`listgate serve exited ${code}:\n${out}`)));
    });
  });

  after(async () => {
    if (gateway?.exitCode === null) {
      const exited = new Promise((resolve) => gateway.once('exit', resolve));
      gateway.kill('SIGTERM');
      await exited;
    }
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets kubectl through as the caller, with a client certificate and with a token, from the kubeconfig template', async () => {
    const template = await readFile(join(DEPLOY, 'clients/kubeconfig.yaml'), 'utf8');
    const kubeconfig = fillTemplate(template, {
      LISTGATE_SERVER: `https://127.0.0.1:${ports.port}`,
      LISTGATE_CA_DATA: b64(stack.pki.ca.certPem),
      LISTGATE_USER: 'jane',
      LISTGATE_CLIENT_CERT_DATA: b64(stack.pki.user.certPem),
      LISTGATE_CLIENT_KEY_DATA: b64(stack.pki.user.keyPem),
      LISTGATE_TOKEN: token,
    });
    const file = join(dir, 'client.kubeconfig');
    await writeFile(file, kubeconfig, { mode: 0o600 });
    const whoami = (context: string) => runKubectl(['--kubeconfig', file, '--context', context, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(await whoami('listgate'), 'jane');
    assert.equal(await whoami('listgate-token'), 'ci-bot');
    const secrets = await runKubectl(['--kubeconfig', file, 'get', 'secrets', '-A', '--chunk-size=2', '-o', 'name']);
    assert.equal(secrets.trim().split('\n').length, 5);
  });

  it('is ready, and exports every metric the alerts and the dashboard read', async () => {
    const ops = `http://127.0.0.1:${ports.opsPort}`;
    const ready = await fetch(`${ops}/readyz?verbose`);
    const readyText = await ready.text();
    assert.equal(ready.status, 200, readyText);
    // It reviews tokens and access: the client for those reviews is loaded before it says it is ready.
    assert.match(readyText, /^\[\+\]review-client ok/m, readyText);
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    const exported = new Map([...metrics.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const rules = JSON.stringify(theObject(await renderOverlay('in-front'), 'PrometheusRule').spec);
    const dashboard = await readFile(join(DEPLOY, 'components/monitoring/listgate-dashboard.json'), 'utf8');
    const used = new Set([...`${rules}${dashboard}`.matchAll(/\b(listgate_\w+|process_\w+|nodejs_\w+)/g)].map((m) => m[1]!));
    assert.ok(used.size > 20);
    for (const series of used) {
      const base = series.replace(/_(bucket|sum|count)$/, '');
      const found = exported.get(series) ?? (exported.get(base) === 'histogram' ? 'histogram' : undefined);
      assert.ok(found, `${series} is exported by the running gateway`);
    }
    assert.match(metrics, /^listgate_config_last_reload_successful 1$/m);
    assert.match(metrics, /^listgate_upstream_response_seconds_count\{verb="get"\} [1-9]/m, 'readiness probes the upstream');
    assert.match(metrics, /^listgate_authentications_total\{method="token",result="success"\} [1-9]/m);
  });
});
