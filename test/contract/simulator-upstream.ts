/**
 * listgate's simulator as a contract upstream (upstream.ts): its own CA for users, RBAC-like grants (its
 * access rules, authorizer.ts: with them the simulator authorizes the way RBAC does instead of allowing
 * everything; grants are added to the live list), service-account tokens in its static token table, API
 * Priority and Fairness'
 * rejection through its flow control, compaction and a restart of its own. It starts without seed data
 * beyond the namespaces every cluster has.
 */
import { randomBytes } from 'node:crypto';
import { createCA, issueClientCert, issueServingCert } from '../../src/certs/pki.js';
import type { TokenTable } from '../../src/simulator/authn.js';
import type { AccessRule } from '../../src/simulator/authorizer.js';
import { API_AUDIENCES } from '../../src/simulator/reviews.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import type { ContractUpstream, PolicyRule, Subject } from './upstream.js';

export interface SimulatorUpstream extends ContractUpstream {
  readonly sim: Simulator;
}

const NO_SEED = { namespaces: 0, secrets: 0, configmaps: 0, pods: 0, deployments: 0 };

/** An RBAC grant as the simulator's access rules express it (a Role's namespace, or everywhere). */
function accessRules(subject: Subject, rules: PolicyRule[], namespace?: string): AccessRule[] {
  const who = subject.kind === 'Group' ? { groups: [subject.name] }
    : { users: [subject.kind === 'User' ? subject.name : `system:serviceaccount:${subject.namespace ?? ''}:${subject.name}`] };
  return rules.map((rule) => {
    if (rule.nonResourceURLs || rule.resourceNames) throw new Error('the simulator grants resources, not paths or single names');
    return { ...who, verbs: rule.verbs, apiGroups: rule.apiGroups ?? [''], resources: rule.resources ?? [], ...(namespace ? { namespaces: [namespace] } : {}) };
  });
}

export async function startSimulatorUpstream(opts: Partial<SimulatorOptions> = {}): Promise<SimulatorUpstream> {
  const ca = createCA('contract-simulator-ca');
  const serving = issueServingCert(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const admin = issueClientCert(ca, { commonName: 'kubernetes-admin', groups: ['system:masters'] });
  const tokens: TokenTable = {};
  const access: AccessRule[] = [];
  const sim = createSimulator({
    tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: ca.certPem },
    tokens,
    access,
    seed: NO_SEED,
    ...opts,
  });
  const port = await sim.listen(0, '127.0.0.1');
  return {
    kind: 'simulator',
    version: '1.32',
    streamingLists: opts.watchList ?? true,
    consistentListFromCache: false,
    sim,
    port,
    caPem: ca.certPem,
    admin,
    apiAudiences: API_AUDIENCES,
    createUser: async (name, groups = []) => issueClientCert(ca, { commonName: name, groups }),
    grant: async (subject, rules, namespace) => void access.push(...accessRules(subject, rules, namespace)),
    async serviceAccountToken(namespace, name) {
      const token = randomBytes(24).toString('base64url');
      tokens[token] = { user: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] };
      return token;
    },
    rejectRequestsOf: async (user) => sim.rejectRequestsOf(user),
    compact: async () => sim.compact(),
    restart: () => sim.restart(),
    close: () => sim.close(),
  };
}
