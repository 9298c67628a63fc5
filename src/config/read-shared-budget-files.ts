/**
 * Reads and checks the files `admission.sharedBudget` names: the password (exactly one non-empty line),
 * the CA bundle the Redis server's certificate is checked against, and the client certificate and key
 * for mutual TLS (the key must match). Every problem is reported at once with its key path.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SharedBudgetFiles } from '../admit/shared/shared-budget-settings.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import type { Config } from './parse-config.js';
import { parseCertificateBundle } from './read-auth-files.js';

function errnoText(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

/** Undefined when the configuration has no shared budget. */
export function readSharedBudgetFiles(config: Config): SharedBudgetFiles | undefined {
  const shared = config.admission.sharedBudget;
  if (!shared) return undefined;
  const issues: ConfigIssue[] = [];
  const read = (key: string, file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      issues.push({ path: `admission.sharedBudget.${key}`, message: `cannot read ${file} (${errnoText(err)})` });
      return undefined;
    }
  };

  const password = read('auth.passwordFile', shared.passwordFile)?.replace(/\r?\n$/, '');
  if (password !== undefined && (password === '' || /[\r\n]/.test(password))) {
    issues.push({ path: 'admission.sharedBudget.auth.passwordFile', message: `${shared.passwordFile} must hold exactly one non-empty line` });
  }
  const tls = shared.tls;
  const ca = read('tls.caFile', tls?.caFile);
  if (ca !== undefined) {
    try {
      if (parseCertificateBundle(ca).length === 0) issues.push({ path: 'admission.sharedBudget.tls.caFile', message: `${tls?.caFile} holds no PEM certificate` });
    } catch {
      issues.push({ path: 'admission.sharedBudget.tls.caFile', message: `${tls?.caFile} holds a certificate that does not parse` });
    }
  }
  const clientCert = read('tls.clientCertFile', tls?.clientCertFile);
  const clientKey = read('tls.clientKeyFile', tls?.clientKeyFile);
  if (clientCert !== undefined && clientKey !== undefined) {
    try {
      if (!new X509Certificate(clientCert).checkPrivateKey(createPrivateKey(clientKey))) {
        issues.push({ path: 'admission.sharedBudget.tls.clientKeyFile', message: `${tls?.clientKeyFile} is not the key of the certificate in tls.clientCertFile` });
      }
    } catch {
      issues.push({ path: 'admission.sharedBudget.tls', message: `${tls?.clientCertFile} / ${tls?.clientKeyFile} must be a PEM certificate and its PEM private key` });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { password, ca, clientCert, clientKey };
}
