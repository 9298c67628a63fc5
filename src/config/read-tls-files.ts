/**
 * Reads the certificate, key and token files a Config names, and checks them: PEM certificates that
 * parse, private keys that parse and match their certificate, a non-empty token. Every problem is
 * reported at once with the config key that names the file.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from './config-error.js';
import type { Config } from './parse-config.js';

export interface TlsFiles {
  /** The gateway's serving certificate (chain) and key. */
  readonly serving: { readonly cert: string; readonly key: string };
  /** What the gateway trusts and presents upstream. The token is a secret: never log it. */
  readonly upstream: {
    readonly ca: string | undefined;
    readonly cert: string | undefined;
    readonly key: string | undefined;
    readonly token: string | undefined;
  };
}

function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? (err instanceof Error ? err.message : String(err));
}

/** Reads and checks the files of a Config; throws ConfigError listing every problem. */
export function readTlsFiles(config: Config): TlsFiles {
  const issues: ConfigIssue[] = [];
  const texts = new Map<string, string>();
  const read = (path: string, file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    try {
      const text = readFileSync(file, 'utf8');
      texts.set(path, text);
      return text;
    } catch (err) {
      issues.push({ path, message: `cannot read ${file} (${errnoText(err)})` });
      return undefined;
    }
  };
  const certificate = (path: string, file: string | undefined): X509Certificate | undefined => {
    const pem = read(path, file);
    if (pem === undefined) return undefined;
    try {
      return new X509Certificate(pem);
    } catch {
      issues.push({ path, message: `${file} is not a PEM certificate` });
      return undefined;
    }
  };
  const keyMatching = (path: string, file: string | undefined, cert: X509Certificate | undefined, certPath: string) => {
    const pem = read(path, file);
    if (pem === undefined) return;
    try {
      const key = createPrivateKey(pem);
      if (cert && !cert.checkPrivateKey(key)) issues.push({ path, message: `${file} is not the key of the certificate in ${certPath}` });
    } catch {
      issues.push({ path, message: `${file} is not a PEM private key` });
    }
  };

  const { tls, upstream } = config;
  const servingCert = certificate('tls.certFile', tls.certFile);
  keyMatching('tls.keyFile', tls.keyFile, servingCert, 'tls.certFile');
  certificate('upstream.caFile', upstream.caFile);
  const clientCert = certificate('upstream.clientCertFile', upstream.clientCertFile);
  keyMatching('upstream.clientKeyFile', upstream.clientKeyFile, clientCert, 'upstream.clientCertFile');
  const token = read('upstream.tokenFile', upstream.tokenFile)?.trim();
  if (token !== undefined && (token === '' || /[\r\n]/.test(token))) {
    issues.push({ path: 'upstream.tokenFile', message: `${upstream.tokenFile} must hold exactly one non-empty line` });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  return {
    serving: { cert: texts.get('tls.certFile')!, key: texts.get('tls.keyFile')! },
    upstream: {
      ca: texts.get('upstream.caFile'),
      cert: texts.get('upstream.clientCertFile'),
      key: texts.get('upstream.clientKeyFile'),
      token,
    },
  };
}
