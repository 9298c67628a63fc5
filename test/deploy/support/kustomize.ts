/**
 * Renders deploy/ the way an operator does (`kubectl kustomize DIR`) and composes the variants an
 * operator is told to make (docs/operations.md): a copy of an overlay with another identity component
 * and the matching identity.mode, or with an optional component (cert-manager) added.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';

/** The repository root (this file runs from dist/test/deploy/support/). */
export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const DEPLOY = join(REPO, 'deploy');
export const OVERLAYS = ['in-front', 'control-plane'] as const;
export type Overlay = (typeof OVERLAYS)[number];
export const IDENTITY_COMPONENTS = { requestHeader: 'identity-request-header', impersonate: 'identity-impersonate', passthrough: 'identity-passthrough' } as const;
export type DeployedMode = keyof typeof IDENTITY_COMPONENTS;

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export function runKubectl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', args, { maxBuffer: 64 * 1024 * 1024, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** `kubectl kustomize DIR`, parsed: every document must be a Kubernetes object. */
export async function renderKustomization(dir: string): Promise<KubeObject[]> {
  const text = await runKubectl(['kustomize', dir]);
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`document ${i} of ${dir}: ${doc.errors[0]!.message}`);
    const object = doc.toJSON() as KubeObject;
    if (!object?.apiVersion || !object.kind || !object.metadata?.name) throw new Error(`document ${i} of ${dir} is not a Kubernetes object`);
    return object;
  });
}

export const renderOverlay = (overlay: Overlay) => renderKustomization(join(DEPLOY, 'overlays', overlay));

export function objectsOf(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function theObject(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

/** The gateway's configuration document as the ConfigMap carries it. */
export function configOf(objects: readonly KubeObject[]): Record<string, unknown> {
  const data = theObject(objects, 'ConfigMap', 'listgate-config').data as Record<string, string>;
  return parse(data['listgate.yaml']!) as Record<string, unknown>;
}

export interface Variant {
  dir: string;
  objects: KubeObject[];
  cleanup(): Promise<void>;
}

/** The front-proxy client certificate as the identity-request-header component mounts it. */
const FRONT_PROXY_FILES = { clientCertFile: '/etc/listgate/front-proxy/tls.crt', clientKeyFile: '/etc/listgate/front-proxy/tls.key' };

/**
 * A copy of an overlay in a temporary folder with its references pointed back at deploy/, the identity
 * component swapped for `mode`'s, identity.mode set to match in a replacement configuration, and
 * `components` added (pod-routing with webhook.enabled set to match). `rendered`: the overlay as
 * rendered already, to read its configuration from.
 */
export async function composeVariant(opts: { overlay: Overlay; mode?: DeployedMode; components?: string[]; rendered?: readonly KubeObject[] }): Promise<Variant> {
  const source = join(DEPLOY, 'overlays', opts.overlay);
  const dir = await mkdtemp(join(tmpdir(), 'listgate-deploy-'));
  await cp(source, dir, { recursive: true });
  const fromDir = (ref: string) => relative(dir, join(source, ref));
  const kustomization = parse(await readFile(join(dir, 'kustomization.yaml'), 'utf8')) as Record<string, unknown>;
  kustomization.resources = (kustomization.resources as string[]).map((r) => (r.startsWith('..') ? fromDir(r) : r));
  let components = (kustomization.components as string[]).map(fromDir);
  const routing = (opts.components ?? []).includes('pod-routing');
  if (opts.mode || routing) {
    const config = configOf(opts.rendered ?? (await renderKustomization(source))) as {
      identity: { mode: string; requestHeader?: Record<string, unknown> };
      authentication: { clientCAFiles?: string[] };
      webhook: { enabled: boolean };
    };
    if (opts.mode) {
      components = components.filter((c) => !/identity-[a-z-]+$/.test(c));
      components.unshift(relative(dir, join(DEPLOY, 'components', IDENTITY_COMPONENTS[opts.mode])));
      config.identity.mode = opts.mode;
      // What docs/operations.md tells operators to change with the mode: the front-proxy certificate in
      // requestHeader mode and none outside it, and no client certificates in passthrough mode (they
      // cannot be passed through).
      if (opts.mode === 'requestHeader') config.identity.requestHeader = { ...config.identity.requestHeader, ...FRONT_PROXY_FILES };
      else config.identity.requestHeader = {};
      if (opts.mode === 'passthrough') config.authentication.clientCAFiles = [];
    }
    if (routing) config.webhook.enabled = true;
    await writeFile(join(dir, 'variant-listgate.yaml'), stringify(config));
    const generators = ((kustomization.configMapGenerator as unknown[]) ?? []).filter((g) => (g as { name: string }).name !== 'listgate-config');
    generators.push({ name: 'listgate-config', behavior: 'replace', files: ['listgate.yaml=variant-listgate.yaml'], options: { disableNameSuffixHash: true } });
    kustomization.configMapGenerator = generators;
  }
  for (const c of opts.components ?? []) components.push(relative(dir, join(DEPLOY, 'components', c)));
  kustomization.components = components;
  await writeFile(join(dir, 'kustomization.yaml'), stringify(kustomization));
  return { dir, objects: await renderKustomization(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
}
