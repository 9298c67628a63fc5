/**
 * Reads and checks the files the webhook section names, when the webhook is enabled: its serving
 * certificate and key (the key must match) and the CA bundle routed pods are given (one or more PEM
 * certificates). Every problem is reported at once with its key path (`webhook.tls.certFile` names the
 * gateway's own `tls.certFile` when the webhook serves with that pair).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from './config-error.js';
import type { Config } from './parse-config.js';
import { parseCertificateBundle } from './read-auth-files.js';

export interface WebhookFiles {
  /** The webhook's serving certificate (chain) and key, PEM. */
  readonly serving: { readonly cert: string; readonly key: string };
  /** The CA bundle routed pods trust (the ConfigMap listgate keeps in each routed namespace), PEM. */
  readonly gatewayCa: string;
}

function errnoText(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

/** Undefined when the webhook is disabled; throws ConfigError listing every problem. */
export function readWebhookFiles(config: Config): WebhookFiles | undefined {
  const webhook = config.webhook;
  if (!webhook.enabled) return undefined;
  const issues: ConfigIssue[] = [];
  const read = (path: string, file: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      issues.push({ path, message: `cannot read ${file} (${errnoText(err)})` });
      return undefined;
    }
  };
  const cert = read('webhook.tls.certFile', webhook.tls.certFile);
  const key = read('webhook.tls.keyFile', webhook.tls.keyFile);
  let certificate: X509Certificate | undefined;
  if (cert !== undefined) {
    try {
      certificate = new X509Certificate(cert);
    } catch {
      issues.push({ path: 'webhook.tls.certFile', message: `${webhook.tls.certFile} is not a PEM certificate` });
    }
  }
  if (key !== undefined) {
    try {
      const parsed = createPrivateKey(key);
      if (certificate && !certificate.checkPrivateKey(parsed)) {
        issues.push({ path: 'webhook.tls.keyFile', message: `${webhook.tls.keyFile} is not the key of the certificate in webhook.tls.certFile` });
      }
    } catch {
      issues.push({ path: 'webhook.tls.keyFile', message: `${webhook.tls.keyFile} is not a PEM private key` });
    }
  }
  const ca = read('webhook.gateway.caFile', webhook.caFile);
  if (ca !== undefined) {
    let count = 0;
    try {
      count = parseCertificateBundle(ca).length;
    } catch {
      count = -1;
    }
    if (count <= 0) issues.push({ path: 'webhook.gateway.caFile', message: `${webhook.caFile} must hold one or more PEM certificates` });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { serving: { cert: cert!, key: key! }, gatewayCa: ca! };
}
