/**
 * `kubectl explain` through the gateway: kubectl 1.32 reads /openapi/v3 and the group/version document
 * by its hash, then prints the kind's fields with the descriptions a real 1.32 apiserver publishes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

describe('kubectl explain through the gateway', () => {
  let stack: E2EStack;
  before(async () => (stack = await startE2EStack()));
  after(async () => stack?.close());

  it('explains pods.spec.containers field by field, from the OpenAPI v3 document of api/v1', async () => {
    const r = await stack.kubectl(['explain', 'pods.spec.containers', '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KIND:\s+Pod\nVERSION:\s+v1\n\nFIELD: containers <\[\]Container>\n/);
    assert.match(r.stdout, /DESCRIPTION:\n\s+List of containers belonging to the pod\. Containers cannot currently be\n\s+added or removed\./);
    for (const field of ['args\t<[]string>', 'env\t<[]EnvVar>', 'image\t<string>', 'livenessProbe\t<Probe>', 'name\t<string> -required-', 'ports\t<[]ContainerPort>']) {
      assert.ok(r.stdout.includes(`\n  ${field}\n`), `field ${field}`);
    }
    assert.match(r.stderr, /GET https:\/\/127\.0\.0\.1:\d+\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}&timeout=\d+s 200 OK/);
  });

  it('explains secret, a nested field of a deployment and an event\'s object reference', async () => {
    const secret = await stack.kubectl(['explain', 'secret']);
    assert.match(secret.stdout, /^KIND:\s+Secret\nVERSION:\s+v1\n\nDESCRIPTION:\n\s+Secret holds secret data of a certain type\./);
    assert.match(secret.stdout, /^ {2}data\t<map\[string\]string>\n\s+Data contains the secret data\./m);
    assert.match(secret.stdout, /^ {2}type\t<string>\n/m);
    const replicas = await stack.kubectl(['explain', 'deployments.spec.replicas']);
    assert.match(replicas.stdout, /^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n\nFIELD: replicas <integer>/);
    assert.match(replicas.stdout, /Number of desired pods\./);
    const ref = await stack.kubectl(['explain', 'events.involvedObject.fieldPath']);
    assert.match(ref.stdout, /FIELD: fieldPath <string>\n[\s\S]*If referring to a piece of an object instead of an entire object/);
  });

  it('answers for a field that does not exist as kubectl does', async () => {
    const r = await stack.kubectl(['explain', 'pods.spec.nosuchfield']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /field "nosuchfield" does not exist/);
  });
});
