/**
 * No token text in any log line. The gateway logs at trace level while callers authenticate with good
 * and bad tokens, duplicate Authorization headers, tokens forwarded in passthrough mode, tokens the
 * TokenReview cannot check, and kubectl and client-node; every line is captured and searched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { IdentityMode } from '../../src/config/config.js';
import { TOKENS, startAuthStack } from './support/auth-stack.js';

const BAD = 'tok-never-valid-5a5a5a5a5a5a5a5a';
const SECRETS = [TOKENS.bot, TOKENS.jane, BAD];

for (const mode of ['requestHeader', 'passthrough'] as const satisfies readonly IdentityMode[]) {
  describe(`no token in the logs (${mode})`, () => {
    it('for every way a token reaches the gateway', async () => {
      const stack = await startAuthStack({ mode, logLevel: 'trace' });
      try {
        const path = '/api/v1/namespaces/default/configmaps';
        assert.equal((await stack.fetch(path, { headers: { Authorization: `Bearer ${TOKENS.bot}` } })).status, 200);
        assert.equal((await stack.fetch(path, { headers: ['Authorization', `Bearer ${TOKENS.jane}`, 'authorization', `Bearer ${BAD}`] })).status, 200);
        assert.equal((await stack.fetch(path, { headers: { Authorization: `Bearer ${BAD}` } })).status, 401);
        assert.equal((await stack.fetch(path, { headers: { Authorization: `bearer ${BAD}`, Cookie: `session=${BAD}` } })).status, 401);
        const viaKubectl = await stack.kubectl(stack.kubeconfigs.bot, ['get', 'configmaps', '-n', 'default', '-v=9']);
        assert.equal(viaKubectl.code, 0, viaKubectl.stderr);
        const kc = new k8s.KubeConfig();
        kc.loadFromFile(stack.kubeconfigs.janeToken);
        await kc.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: 'default' });
        await stack.sim.close();
        const down = await stack.fetch(path, { headers: { Authorization: `Bearer ${BAD}x` } });
        assert.equal(down.status, 503);

        assert.ok(stack.logs.length > 20, `the gateway logged (${stack.logs.length} lines)`);
        assert.ok(stack.logs.some((l) => l.msg === 'request received'), 'request headers were logged (redacted)');
        assert.ok(stack.logs.some((l) => l.msg === 'authentication failed' && l.reason === 'token_denied'));
        assert.ok(stack.logs.some((l) => l.msg === 'authentication failed' && l.reason === 'tokenreview_unavailable'));
        const text = stack.logText();
        for (const secret of SECRETS) assert.ok(!text.includes(secret), `a token reached the log: ${secret}`);
        assert.ok(!/Bearer [A-Za-z0-9._-]{8,}/i.test(text), 'no bearer credential of any kind in the log');
      } finally {
        await stack.close();
      }
    });
  });
}
