/**
 * Enough of Docker's build rules to check the Dockerfile without an engine:
 * - parseDockerfile: stages (FROM … AS name) and their instructions, with line continuations joined and
 *   comments dropped; JSON (exec-form) arguments parsed.
 * - dockerignore: the build context's exclusion rules as moby's patternmatcher applies them — patterns
 *   relative to the context root, `*` and `?` within one path segment, `**` across segments, a pattern
 *   that matches a directory excludes everything under it, `!` re-includes, the last match wins.
 */

export interface Instruction {
  keyword: string;
  /** The text after the keyword. */
  args: string;
  /** The arguments as JSON (exec form) when they are a JSON array of strings. */
  json?: string[];
  /** Flags such as --from=build. */
  flags: Record<string, string>;
  /** Words after the flags (shell form). */
  words: string[];
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

function parseInstruction(line: string): Instruction {
  const m = /^(\S+)\s*(.*)$/.exec(line)!;
  const args = m[2]!.trim();
  let json: string[] | undefined;
  if (args.startsWith('[')) {
    const parsed: unknown = JSON.parse(args);
    if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) json = parsed;
  }
  const flags: Record<string, string> = {};
  const words: string[] = [];
  for (const word of args.split(/\s+/).filter(Boolean)) {
    const flag = /^--([a-z-]+)=(.*)$/.exec(word);
    if (flag && words.length === 0) flags[flag[1]!] = flag[2]!;
    else words.push(word);
  }
  return { keyword: m[1]!.toUpperCase(), args, json, flags, words };
}

export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) pending += `${line.slice(0, -1)} `;
    else {
      logical.push(pending + line);
      pending = '';
    }
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const instruction = parseInstruction(line);
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.words;
      stages.push({ from: image!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`${instruction.keyword} before the first FROM`);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

function patternRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A predicate: is this path (relative to the context root, `/`-separated) left out of the build context? */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const exception = l.startsWith('!');
      const pattern = (exception ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { exception, re: patternRegExp(pattern) };
    });
  return (path) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (candidates.some((c) => rule.re.test(c))) excluded = !rule.exception;
    return excluded;
  };
}
