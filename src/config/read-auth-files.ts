/**
 * Reads and checks the files the authentication and identity sections name: the client CA bundles
 * (each file one or more PEM certificates, every one a CA) and the front-proxy client certificate and
 * key of requestHeader mode (the key must match). Every problem is reported at once with its key path.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from './config-error.js';
import type { Config } from './parse-config.js';

export interface AuthFiles {
  /** Every trusted client CA certificate, in file order. */
  readonly clientCAs: readonly X509Certificate[];
  /** The same certificates as PEM text (the TLS server's `ca`, so clients learn the acceptable CAs). */
  readonly clientCAPems: readonly string[];
  /** requestHeader mode's front-proxy client certificate (chain) and key, PEM. */
  readonly frontProxy: { readonly cert: string; readonly key: string } | undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** The PEM certificates in a bundle, each parsed; throws on a block that does not parse. */
export function parseCertificateBundle(text: string): X509Certificate[] {
  return (text.match(PEM_CERTIFICATE) ?? []).map((pem) => new X509Certificate(pem));
}

function errnoText(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

export function readAuthFiles(config: Config): AuthFiles {
  const issues: ConfigIssue[] = [];
  const read = (path: string, file: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      issues.push({ path, message: `cannot read ${file} (${errnoText(err)})` });
      return undefined;
    }
  };

  const clientCAs: X509Certificate[] = [];
  config.authentication.clientCAFiles.forEach((file, i) => {
    const path = `authentication.clientCAFiles[${i}]`;
    const text = read(path, file);
    if (text === undefined) return;
    let certs: X509Certificate[];
    try {
      certs = parseCertificateBundle(text);
    } catch {
      issues.push({ path, message: `${file} holds a certificate that does not parse` });
      return;
    }
    if (certs.length === 0) issues.push({ path, message: `${file} holds no PEM certificate` });
    else if (certs.some((c) => !c.ca)) issues.push({ path, message: `${file} holds a certificate that is not a CA (basicConstraints CA:TRUE)` });
    else clientCAs.push(...certs);
  });

  let frontProxy: AuthFiles['frontProxy'];
  const rh = config.identity.requestHeader;
  if (config.identity.mode === 'requestHeader' && rh.clientCertFile !== undefined && rh.clientKeyFile !== undefined) {
    const cert = read('identity.requestHeader.clientCertFile', rh.clientCertFile);
    const key = read('identity.requestHeader.clientKeyFile', rh.clientKeyFile);
    if (cert !== undefined && key !== undefined) {
      try {
        const leaf = new X509Certificate(cert);
        if (!leaf.checkPrivateKey(createPrivateKey(key))) {
          issues.push({ path: 'identity.requestHeader.clientKeyFile', message: `${rh.clientKeyFile} is not the key of the certificate in identity.requestHeader.clientCertFile` });
        }
        frontProxy = { cert, key };
      } catch {
        issues.push({ path: 'identity.requestHeader', message: `${rh.clientCertFile} / ${rh.clientKeyFile} must be a PEM certificate and its PEM private key` });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { clientCAs, clientCAPems: clientCAs.map((c) => c.toString()), frontProxy };
}
