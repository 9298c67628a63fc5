/**
 * Label selectors with the grammar of k8s.io/apimachinery/pkg/labels/selector.go: `key`, `!key`,
 * `key=v`, `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`, `key>n`, `key<n`, comma-joined (AND).
 * `!=` and `notin` match objects without the label, as upstream.
 */

type Op = 'exists' | 'notexists' | 'eq' | 'neq' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: Op;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string };

const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>']);

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '!' && input[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '!=' });
      i += 2;
    } else if (c === '=' && input[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '==' });
      i += 2;
    } else if (SPECIAL.has(c)) {
      tokens.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < input.length && !SPECIAL.has(input[j]!) && !/\s/.test(input[j]!)) j++;
      tokens.push({ kind: 'id', text: input.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

class ParseError extends Error {}

/** Parses a selector; throws an Error with the apiserver-style message on bad input. */
export function parseLabelSelector(input: string): LabelSelector {
  const tokens = lex(input);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const fail = (expected: string): never => {
    const t = peek();
    // labels/selector.go: the end of the string is the empty literal; parseValues words its '(' without a comma.
    const separator = expected === "'('" ? '' : ',';
    throw new ParseError(`unable to parse requirement: found '${t ? t.text : ''}'${separator} expected: ${expected}`);
  };
  const identifier = (): string => {
    const t = peek();
    if (!t || t.kind !== 'id') return fail('identifier');
    pos++;
    return t.text;
  };
  const requirements: LabelSelector = [];
  try {
    while (pos < tokens.length) {
      if (peek()?.text === '!' && peek()?.kind === 'op') {
        pos++;
        requirements.push({ key: identifier(), op: 'notexists', values: [] });
      } else {
        const key = identifier();
        const t = peek();
        if (!t || (t.kind === 'op' && t.text === ',')) {
          requirements.push({ key, op: 'exists', values: [] });
        } else if (t.kind === 'op' && (t.text === '=' || t.text === '==' || t.text === '!=')) {
          pos++;
          const next = peek();
          const value = next && next.kind === 'id' ? (pos++, next.text) : '';
          requirements.push({ key, op: t.text === '!=' ? 'neq' : 'eq', values: [value] });
        } else if (t.kind === 'op' && (t.text === '<' || t.text === '>')) {
          pos++;
          const value = identifier();
          if (!/^-?\d+$/.test(value)) throw new ParseError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
          requirements.push({ key, op: t.text === '>' ? 'gt' : 'lt', values: [value] });
        } else if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) {
          pos++;
          if (peek()?.text !== '(') fail("'('");
          pos++;
          const values: string[] = [];
          while (peek()?.text !== ')') {
            const v = peek();
            if (!v) fail(')');
            if (v!.kind === 'id') values.push(v!.text);
            else if (v!.text !== ',') fail('identifier');
            pos++;
          }
          pos++;
          requirements.push({ key, op: t.text === 'in' ? 'in' : 'notin', values });
        } else {
          fail("'=', '!=', '==', 'in', notin'");
        }
      }
      if (pos < tokens.length) {
        if (peek()?.text !== ',') fail("','");
        pos++;
      }
    }
  } catch (err) {
    if (err instanceof ParseError) throw new Error(err.message);
    throw err;
  }
  return requirements;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  return selector.every(({ key, op, values }) => {
    const has = labels !== undefined && Object.hasOwn(labels, key);
    const value = has ? labels[key]! : undefined;
    switch (op) {
      case 'exists': return has;
      case 'notexists': return !has;
      case 'eq': return has && value === values[0];
      case 'neq': return !has || value !== values[0];
      case 'in': return has && values.includes(value!);
      case 'notin': return !has || !values.includes(value!);
      case 'gt': return has && /^-?\d+$/.test(value!) && Number(value) > Number(values[0]);
      case 'lt': return has && /^-?\d+$/.test(value!) && Number(value) < Number(values[0]);
    }
  });
}
