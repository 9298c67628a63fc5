/**
 * The configuration's shipped documents stay true to the code: docs/listgate.schema.json is what the zod
 * definition generates today (run `npm run schema` when this fails), and docs/listgate.example.yaml is a
 * valid configuration that shows every option the schema has.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseConfig, parseYamlDocument } from '../../src/config/config.js';
import { configJsonSchema, configJsonSchemaText } from '../../src/config/json-schema.js';

const SCHEMA_FILE = 'docs/listgate.schema.json';
const EXAMPLE_FILE = 'docs/listgate.example.yaml';

interface JsonSchemaNode {
  type?: string;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
}

/** Every key path the schema defines (`upstream.caFile`, `authentication.tokenReview.cacheTTL`). */
function schemaPaths(node: JsonSchemaNode, base = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const path = base === '' ? key : `${base}.${key}`;
    return [path, ...schemaPaths(child, path)];
  });
}

function documentPaths(doc: unknown, base = ''): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [];
  return Object.entries(doc).flatMap(([key, value]) => {
    const path = base === '' ? key : `${base}.${key}`;
    return [path, ...documentPaths(value, path)];
  });
}

describe('shipped configuration documents', () => {
  it(`${SCHEMA_FILE} is up to date (run \`npm run schema\`)`, () => {
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), configJsonSchemaText());
  });

  it('the schema is strict, requires only what has no default, and knows the durations as strings', () => {
    const schema = configJsonSchema() as JsonSchemaNode & { additionalProperties?: boolean };
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ['tls', 'upstream', 'identity']);
    assert.deepEqual(schema.properties?.upstream?.required, ['server']);
    assert.equal(schema.properties?.shutdown?.properties?.drainTimeout?.type, 'string');
    assert.equal(schema.properties?.listen?.required, undefined);
  });

  it(`${EXAMPLE_FILE} is a valid configuration`, () => {
    const config = parseConfig(parseYamlDocument(readFileSync(EXAMPLE_FILE, 'utf8')), { baseDir: '/etc/listgate' });
    assert.equal(config.identity.mode, 'requestHeader');
  });

  it(`${EXAMPLE_FILE} shows every option of the schema (commented-out alternatives count)`, () => {
    // An indented `# key: value` line is an option shown commented out (nested ones indented after the
    // `# `); uncomment it to read the keys.
    const text = readFileSync(EXAMPLE_FILE, 'utf8').replace(/^(\s+)# (\s*[A-Za-z]+:)/gm, '$1$2');
    const shown = new Set(documentPaths(parseYamlDocument(text)));
    const missing = schemaPaths(configJsonSchema() as JsonSchemaNode).filter((p) => !shown.has(p));
    assert.deepEqual(missing, [], `options missing from ${EXAMPLE_FILE}`);
  });
});
