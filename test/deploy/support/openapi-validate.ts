/**
 * Validates rendered objects against the Kubernetes OpenAPI schemas, offline, with what the
 * kubernetes-models packages ship (generated from the Kubernetes 1.32 OpenAPI document and from the
 * prometheus-operator and cert-manager CRDs):
 * - their compiled JSON-Schema validators (types, required fields, enums, patterns, formats), and
 * - their TypeScript declarations of the same schemas, for what those validators let through: unknown
 *   fields (the schemas do not set additionalProperties: false, while `kubectl apply` with strict field
 *   validation refuses them). Each object is type-checked as an object literal of its declared type;
 *   excess-property errors name the unknown field.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO, type KubeObject } from './kustomize.js';

const require = createRequire(import.meta.url);

const PACKAGES: Record<string, string> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'cert-manager.io': '@kubernetes-models/cert-manager',
};

/** The module that declares apiVersion/kind, e.g. `kubernetes-models/apps/v1/Deployment`. */
export function modelModule(object: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const pkg = PACKAGES[group!] ?? 'kubernetes-models';
  return group === '' ? `${pkg}/${version}/${object.kind}` : `${pkg}/${group}/${version}/${object.kind}`;
}

const describe = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

type ModelClass = new (data: unknown) => { validate(): void };

/** Problems the compiled validators find, one string per object that fails (or has no schema). */
export function schemaProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    let model: ModelClass | undefined;
    try {
      model = (require(modelModule(object)) as Record<string, ModelClass>)[object.kind];
    } catch {
      model = undefined;
    }
    if (!model) {
      problems.push(`${describe(object)}: no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new model(object).validate();
    } catch (err) {
      problems.push(`${describe(object)}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** `spec.template.spec.containers[0].securityContext` for the node where a diagnostic starts. */
function pathAt(node: ts.Node): string {
  const parts: string[] = [];
  for (let n: ts.Node | undefined = node; n && !ts.isVariableDeclaration(n); n = n.parent) {
    if (ts.isPropertyAssignment(n)) parts.unshift(`.${n.name.getText().replace(/^"|"$/g, '')}`);
    else if (n.parent && ts.isArrayLiteralExpression(n.parent)) parts.unshift(`[${n.parent.elements.indexOf(n as ts.Expression)}]`);
  }
  return parts.join('').replace(/^\./, '');
}

function deepestNodeAt(file: ts.SourceFile, position: number): ts.Node {
  let found: ts.Node = file;
  const visit = (node: ts.Node): void => {
    if (position >= node.getStart(file) && position < node.getEnd()) {
      found = node;
      ts.forEachChild(node, visit);
    }
  };
  ts.forEachChild(file, visit);
  return found;
}

/** Fields the schemas do not declare (and any type error the declarations catch), with their paths. */
export function unknownFieldProblems(objects: readonly KubeObject[]): string[] {
  const fileName = join(REPO, '__rendered-objects__.ts');
  const lines = objects.map((o, i) => `import type { I${o.kind} as T${i} } from '${modelModule(o)}';\nexport const o${i}: T${i} = ${JSON.stringify(o, null, 1)};`);
  const text = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (name, ...rest) => (name === fileName ? source : getSourceFile.call(host, name, ...rest));
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 200);
    if (d.start === undefined) return message;
    const node = deepestNodeAt(source, d.start);
    let decl: ts.Node | undefined = node;
    while (decl && !ts.isVariableDeclaration(decl)) decl = decl.parent;
    const index = decl ? Number((decl as ts.VariableDeclaration).name.getText().slice(1)) : NaN;
    const object = objects[index];
    return `${object ? describe(object) : '?'}: ${pathAt(node)}: ${message}`;
  });
}
