/**
 * No token text in any log line. The gateway logs through the production logger (src/log.ts
 * createLogger, with its redaction configuration) at trace level while callers authenticate with good
 * and bad tokens, duplicate Authorization headers, tokens forwarded in passthrough mode, tokens the
 * TokenReview cannot check, and kubectl and client-node; every line is captured and searched. And the
 * production logger's redaction itself: every place a credential could sit in a logged object.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { IdentityMode } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
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

describe("the production logger's redaction", () => {
  it('masks credential headers of a request or a header map, and any token field', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
        done();
      },
    });
    const logger = createLogger({ level: 'trace', destination: sink });
    const credentials = { authorization: `Bearer ${TOKENS.bot}`, cookie: `session=${BAD}`, 'proxy-authorization': `Basic ${BAD}`, 'set-cookie': `s=${BAD}` };
    logger.info({ req: { headers: { ...credentials, accept: 'application/json' } } }, 'a request object');
    logger.info({ headers: { ...credentials, accept: 'application/json' } }, 'a header map');
    logger.child({ requestId: 'r1' }).warn({ token: TOKENS.jane, user: { token: TOKENS.jane, name: 'jane' } }, 'token fields');
    assert.equal(lines.length, 3);
    const [request, headers, tokens] = lines.map((l) => JSON.parse(l) as Record<string, Record<string, Record<string, string>>>);
    for (const name of Object.keys(credentials)) {
      assert.equal(request!.req!.headers![name], '[REDACTED]', `req.headers.${name}`);
      assert.equal(headers!.headers![name], '[REDACTED]', `headers.${name}`);
    }
    assert.equal(request!.req!.headers!.accept, 'application/json', 'other headers stay');
    assert.equal(tokens!.token, '[REDACTED]');
    assert.deepEqual(tokens!.user, { token: '[REDACTED]', name: 'jane' });
    for (const secret of SECRETS) assert.ok(!lines.join('\n').includes(secret), `a token reached the log: ${secret}`);
  });
});
