/**
 * The install steps of docs/operations.md run in the order written: every command that puts something
 * into the `listgate` namespace comes after the one command that creates it, and the namespace the
 * manifests declare is that one.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPO } from './support/kustomize.js';

/** The shell commands of a Markdown section's ```sh blocks, in order (continuation lines joined). */
function shellCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks
    .flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe('the install steps', () => {
  it('create the namespace once, before anything goes into it', async () => {
    const operations = await readFile(join(REPO, 'docs/operations.md'), 'utf8');
    const install = /^## Install\n([\s\S]*?)^## /m.exec(operations)?.[1];
    assert.ok(install, 'docs/operations.md has an Install section');
    const commands = shellCommands(install);
    const creates = commands.flatMap((c, i) => (/^kubectl create namespace listgate\b/.test(c) ? [i] : []));
    assert.equal(creates.length, 1, `one namespace creation:\n${commands.join('\n')}`);
    const into = commands.flatMap((c, i) => (/^kubectl (-n|--namespace)[ =]listgate (create|apply)\b/.test(c) ? [i] : []));
    assert.ok(into.length >= 2, `the Secret and ConfigMap steps are found:\n${commands.join('\n')}`);
    for (const i of into) assert.ok(i > creates[0]!, `"${commands[i]}" runs after the namespace exists`);
    const namespace = parse(await readFile(join(REPO, 'deploy/base/namespace.yaml'), 'utf8')) as { metadata: { name: string } };
    assert.equal(namespace.metadata.name, 'listgate');
  });
});
