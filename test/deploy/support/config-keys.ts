/**
 * The key paths of a configuration document as the JSON Schema defines them (docs/listgate.schema.json):
 * objects with declared properties are walked; maps (e.g. estimator.factors.versions), lists and scalars
 * are leaves, so an operator's own map keys or list items never count as keys of the format.
 */
interface SchemaNode {
  properties?: Record<string, SchemaNode>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function keyPaths(document: unknown, schema: SchemaNode, prefix = ''): string[] {
  if (!isRecord(document) || !schema.properties) return prefix ? [prefix] : [];
  const paths: string[] = [];
  for (const [key, value] of Object.entries(document)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const child = schema.properties[key];
    paths.push(...(child ? keyPaths(value, child, path) : [`${path} (not in the schema)`]));
  }
  return paths;
}
