/**
 * The test runner's reporter (`node --test --test-reporter=…`): one line per top-level test as it ends
 * (its file, name and duration: progress that stays readable at hundreds of tests), then a summary that
 * names every failing test by file and full name with the first lines of its error, so a red run says
 * what broke at its end.
 */
import { relative } from 'node:path';

interface TestEventData {
  name: string;
  nesting: number;
  file?: string;
  details?: { duration_ms?: number; type?: string; error?: { message?: string; failureType?: string; cause?: unknown; stack?: string } };
  todo?: boolean | string;
  skip?: boolean | string;
}

type TestEvent = { type: 'test:start' | 'test:pass' | 'test:fail'; data: TestEventData } | { type: string; data: unknown };

interface Failure {
  file: string;
  path: string;
  message: string;
}

const seconds = (ms: number | undefined): string => `${((ms ?? 0) / 1000).toFixed(1)} s`;

function errorText(error: NonNullable<TestEventData['details']>['error']): string {
  if (!error) return '';
  const cause = error.cause as { message?: string; stack?: string } | string | undefined;
  const inner = typeof cause === 'string' ? cause : (cause?.stack ?? cause?.message);
  const text = inner ?? error.stack ?? error.message ?? String(error);
  // The message and the test's own frames; node's runner internals say nothing about the failure.
  const lines = text.split('\n').filter((l) => !/\(node:|at node:|node:internal/.test(l));
  return lines.slice(0, 12).join('\n');
}

export default async function* summaryReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const started = Date.now();
  const stacks = new Map<string, string[]>();
  const failures: Failure[] = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  // What each file wrote to stderr (its last few KiB): a file that fails outside any test says why there.
  const stderr = new Map<string, string>();
  for await (const event of source) {
    if (event.type === 'test:stderr') {
      const { file, message } = event.data as { file?: string; message?: string };
      if (file && message) stderr.set(file, ((stderr.get(file) ?? '') + message).slice(-4096));
      continue;
    }
    if (event.type !== 'test:start' && event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data as TestEventData;
    const file = data.file ? relative(process.cwd(), data.file) : '(unknown file)';
    const stack = stacks.get(file) ?? [];
    stacks.set(file, stack);
    if (event.type === 'test:start') {
      stack[data.nesting] = data.name;
      stack.length = data.nesting + 1;
      continue;
    }
    const path = [...stack.slice(0, data.nesting), data.name].join(' › ');
    const failureType = data.details?.error?.failureType;
    const suite = data.details?.type === 'suite';
    if (event.type === 'test:fail') {
      // A suite whose subtests failed is named through them; a hook's or a file's own failure counts.
      if (failureType !== 'subtestsFailed') {
        failed++;
        const own = data.file !== undefined && data.name === data.file ? stderr.get(data.file)?.trim().split('\n').slice(-12).join('\n') : undefined;
        failures.push({ file, path, message: [errorText(data.details?.error), own].filter(Boolean).join('\n') });
      }
    } else if (suite) {
      // counted through its tests
    } else if (data.skip !== undefined && data.skip !== false) skipped++;
    else if (data.todo === undefined || data.todo === false) passed++;
    if (data.nesting === 0) yield `${event.type === 'test:pass' ? 'ok  ' : 'FAIL'} ${file} › ${data.name} (${seconds(data.details?.duration_ms)})\n`;
  }
  const total = `${passed + failed + skipped} tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} in ${seconds(Date.now() - started)}`;
  if (failures.length === 0) {
    yield `\n${total}\n`;
    return;
  }
  yield `\n${total}. Failing:\n`;
  for (const f of failures) yield `\n✖ ${f.file} › ${f.path}\n${f.message.replace(/^/gm, '    ')}\n`;
  yield '\n';
}
