/**
 * Single LISTs through the gateway in several modes, one at a time (kube-list-rise.ts), each mode
 * `repeats` times in turn (round-robin, so a mode's samples are spread over the run): whole LISTs, and
 * paginated ones measured page by page (the `continue` token of one page asks for the next). The first
 * pass is the gateway's first sight of a mode; the later ones are after warm-up.
 */
import type { Agent } from 'node:https';
import type { KubeApiserver } from '../../test/support/apiserver/kube-apiserver.js';
import type { Target } from './https-client.js';
import { measureListRise, type ListRise } from './kube-list-rise.js';

export interface ListMode {
  name: string;
  /** The request target, or a function that makes it just before the LIST (a current resourceVersion). */
  path: string | (() => Promise<string>);
  accept?: string;
  /** Follow `continue` tokens: every page is a sample. */
  paged?: boolean;
}

export interface ModeSample extends ListRise {
  /** 0: the gateway's first sight of this mode; 1…: after warm-up. */
  pass: number;
}

export interface ListModesOptions {
  kube: Pick<KubeApiserver, 'request' | 'cgroup'>;
  target: Target;
  agent: Agent;
  gatewayLog: string;
  opsPort: number;
  user: string;
  groups: readonly string[];
  modes: readonly ListMode[];
  repeats: number;
  settle: { intervalMs: number; maxMs: number };
  log(line: string): void;
}

const MIB = 2 ** 20;

export interface ListModesResult {
  samples: ModeSample[];
  /** LISTs that could not be measured (an answer other than 200, 429s past the retries): mode, pass, why. */
  failures: Array<{ mode: string; pass: number; error: string }>;
}

export async function measureListModes(o: ListModesOptions): Promise<ListModesResult> {
  const samples: ModeSample[] = [];
  const failures: ListModesResult['failures'] = [];
  for (let pass = 0; pass < o.repeats; pass++) {
    for (const mode of o.modes) {
      let path = typeof mode.path === 'string' ? mode.path : await mode.path();
      for (let page = mode.paged ? 1 : 0; ; page++) {
        const accept = mode.accept ? { accept: mode.accept } : {};
        const r = await measureListRise({ ...o, mode: mode.name, path, page, ...accept }).catch((err: unknown) => {
          const error = err instanceof Error ? err.message : String(err);
          failures.push({ mode: mode.name, pass, error });
          o.log(`${mode.name} (pass ${pass}): not measured: ${error}`);
          return undefined;
        });
        if (!r) break;
        const { continueToken, ...rise } = r;
        samples.push({ ...rise, pass });
        o.log(
          `${mode.name}${page > 0 ? ` page ${page}` : ''} (pass ${pass}): ${(r.responseBytes / MIB).toFixed(1)} MiB, held ${(r.heldBytes / MIB).toFixed(0)} MiB (${r.factor.toFixed(2)}×; ` +
            `rise ${(r.riseBytes / MIB).toFixed(0)} MiB over ${((r.slackBytes ?? 0) / MIB).toFixed(0)} MiB of free heap), ` +
            `estimate ${r.estimatedBytes !== undefined ? `${(r.estimatedBytes / MIB).toFixed(0)} MiB = ${r.estimateVsHeld?.toFixed(2)}× held` : 'not found'}`,
        );
        if (!mode.paged || !continueToken) break;
        path = `${path.split('&continue=')[0]}&continue=${encodeURIComponent(continueToken)}`;
      }
    }
  }
  return { samples, failures };
}
