/**
 * The apiserver's authenticating-proxy mode (k8s.io/apiserver/pkg/authentication/request/headerrequest,
 * flags --requestheader-client-ca-file, --requestheader-allowed-names, --requestheader-*-headers): a
 * request whose client certificate is issued by the front-proxy CA (and whose CN is among the allowed
 * names, when any are set) is the user named in the first username header that has a value; groups are
 * every value of every group header line, the uid the first uid header value, and extras every header
 * under an extra prefix (key after the prefix, lower-cased and percent-unescaped). Without a username
 * header it names no one and the other authenticators get their turn.
 */
import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Identity } from './authn.js';

export interface FrontProxyOptions {
  /** The --requestheader-client-ca-file certificate (PEM). */
  caPem: string;
  /** --requestheader-allowed-names; empty or absent: any CN the CA signed. */
  allowedNames?: string[];
  usernameHeaders?: string[];
  groupHeaders?: string[];
  uidHeaders?: string[];
  extraHeaderPrefixes?: string[];
}

export interface FrontProxy {
  ca: X509Certificate;
  allowedNames: string[];
  usernameHeaders: string[];
  groupHeaders: string[];
  uidHeaders: string[];
  extraHeaderPrefixes: string[];
}

/** kubeadm's flags for kube-apiserver. */
export const FRONT_PROXY_DEFAULTS = {
  usernameHeaders: ['X-Remote-User'],
  groupHeaders: ['X-Remote-Group'],
  uidHeaders: ['X-Remote-Uid'],
  extraHeaderPrefixes: ['X-Remote-Extra-'],
};

function valuesOf(req: IncomingMessage, names: string[]): string[] {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (wanted.has(raw[i]!.toLowerCase()) && raw[i + 1] !== '') out.push(utf8(raw[i + 1]!));
  return out;
}

/** Node reads header bytes as latin1; the apiserver reads them as UTF-8. */
const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');

function unescapeKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.toLowerCase());
  } catch {
    return encoded.toLowerCase();
  }
}

/** The identity the front proxy asserts, or undefined (not a front-proxy request, or no username). */
export function fromRequestHeaders(req: IncomingMessage, leaf: X509Certificate | undefined, fp: FrontProxy): Identity | undefined {
  if (!leaf || !leaf.checkIssued(fp.ca) || !leaf.verify(fp.ca.publicKey)) return undefined;
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(leaf.subject)?.[1] ?? '';
  if (fp.allowedNames.length > 0 && !fp.allowedNames.includes(cn)) return undefined;
  const user = valuesOf(req, fp.usernameHeaders)[0];
  if (!user) return undefined;
  const uid = valuesOf(req, fp.uidHeaders)[0];
  const extra: Record<string, string[]> = {};
  const raw = req.rawHeaders;
  for (const prefix of fp.extraHeaderPrefixes.map((p) => p.toLowerCase())) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (name.startsWith(prefix)) (extra[unescapeKey(name.slice(prefix.length))] ??= []).push(utf8(raw[i + 1]!));
    }
  }
  return {
    user,
    groups: valuesOf(req, fp.groupHeaders),
    ...(uid ? { uid } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}
